from boards import make_hal  # noqa: I001 (main.py is two lines by design: DESIGN 10)
from cushion import app; app.main(make_hal)  # noqa: E702
