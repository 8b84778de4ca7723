"""Progress of long work (`flash`, a `run` of several scenario files, `watch --seconds`).

On a terminal it is a tqdm bar on stderr, and the command's own lines are written through
`lines` so that they scroll above the bar instead of through it.  Anywhere else (a pipe, a
CI log, or --json, whose stdout must stay machine-readable) there is no bar: `note` lines
say how far the work is, as plain text on the stream the caller names.
"""

import sys


def on_terminal(stream):
    try:
        return stream.isatty()
    except (AttributeError, ValueError):       # a closed or fake stream
        return False


class _AboveTheBar:
    """A text stream that clears the bar while it writes (tqdm.external_write_mode)."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, text):
        from tqdm import tqdm
        with tqdm.external_write_mode(file=self.stream):
            self.stream.write(text)
            self.stream.flush()
        return len(text)

    def flush(self):
        self.stream.flush()

    def isatty(self):
        return on_terminal(self.stream)


class Progress:
    """`total` units of work called `unit`; `lines` is where the command prints its own
    output, `plain` where progress notes go when there is no bar.  `bar=False` (--json)
    never draws one."""

    def __init__(self, total, unit, lines=None, plain=None, bar=True, err=None, desc=None,
                 every=None):
        self.total, self.unit, self.done = total, unit, 0
        self.plain, self.desc = plain, desc
        # with `every` (a fraction of the total), advancing past each step of it says so
        self.every = every
        self.next_note = every * total if every and total else None
        err = err or sys.stderr
        self.bar = None
        raw_lines = lines or sys.stdout
        if bar and total and on_terminal(err):
            from tqdm import tqdm
            self.bar = tqdm(total=total, unit=unit, desc=desc, file=err, dynamic_ncols=True,
                            leave=False)
            self.lines = _AboveTheBar(raw_lines)
        else:
            self.lines = raw_lines

    def note(self, text):
        """A plain progress line (no bar) or the bar's postfix (with one); nothing for work
        too small to report (total 0)."""
        if not self.total:
            return
        if self.bar is not None:
            self.bar.set_postfix_str(text, refresh=True)
        elif self.plain is not None:
            self.plain.write(text + "\n")
            self.plain.flush()

    def advance_to(self, done):
        done = min(done, self.total)
        if self.bar is not None and done > self.done:
            self.bar.update(done - self.done)
        self.done = max(self.done, done)
        if self.bar is None and self.next_note is not None and self.done >= self.next_note:
            while self.next_note <= self.done:
                self.next_note += self.every * self.total
            self.note(f"{self.desc}: {self.done} of {self.total} {self.unit}")

    def advance(self, n=1):
        self.advance_to(self.done + n)

    def close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
