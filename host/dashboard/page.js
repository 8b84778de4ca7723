// The dashboard page: one WebSocket, the chart drawn on a canvas, the controls.
"use strict";
const token = new URLSearchParams(location.search).get("token") || "";
const ws = new WebSocket(`ws://${location.host}/ws?token=${encodeURIComponent(token)}`);
const $ = (id) => document.getElementById(id);
const samples = [];
const KEEP = 1200;            // 5 minutes at the 250 ms telemetry period
const SERIES = [
  { key: "temp_c", label: "pad sensor A (C)", color: "#d84315", axis: "c" },
  { key: "temp2_c", label: "pad sensor B (C)", color: "#6a1b9a", axis: "c" },
  { key: "setpoint_c", label: "set-point (C)", color: "#2e7d32", axis: "c", dash: [6, 4] },
  { key: "heater_pct", label: "heater (%)", color: "#f9a825", axis: "p" },
  { key: "motor_pct", label: "motor (%)", color: "rgba(21,101,192,0.35)", axis: "p", width: 1 },
];

function send(obj) { ws.send(JSON.stringify(obj)); }
document.querySelectorAll("[data-level]").forEach((b) =>
  b.addEventListener("click", () => send({ cmd: "heat", level: b.dataset.level })));
$("massage-set").addEventListener("click", () => {
  const mode = $("mode").value;
  const msg = { cmd: "massage", mode };
  if (mode !== "off") msg.intensity = Number($("intensity").value);
  send(msg);
});
$("stop").addEventListener("click", () => send({ cmd: "stop" }));
$("clear").addEventListener("click", () => send({ cmd: "clear" }));

function banner(fault) {
  const el = $("banner");
  el.textContent = fault ? `FAULT: ${fault} (heater off; fix the cause, then clear)` : "";
  el.className = fault ? "on" : "";
  el.dataset.fault = fault || "";
}

function logEvent(ev) {
  const box = $("events");
  const { event, ...rest } = ev;
  box.textContent = `${new Date().toLocaleTimeString()} ${event} ${JSON.stringify(rest)}\n`
    + box.textContent.split("\n").slice(0, 200).join("\n");
}

function telemetry(t) {
  samples.push(t);
  if (samples.length > KEEP) samples.shift();
  $("state").textContent = t.state;
  document.body.dataset.state = t.state;
  document.body.dataset.heat = t.heat;
  $("heat").textContent = t.heat + (t.heat !== "off" ? ` (${t.heat_state})` : "");
  $("massage").textContent = t.massage + (t.massage !== "off" ? ` ${t.intensity}` : "");
  const left = t.remaining_s || 0;
  $("remaining").textContent = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
  $("vin").textContent = `${t.vin} V`;
  banner(t.fault);
  draw();
}

function draw() {
  const cv = $("chart");
  const g = cv.getContext("2d");
  const W = cv.width, H = cv.height, L = 50, R = 50, T = 28, B = 24;
  g.clearRect(0, 0, W, H);
  cv.dataset.samples = samples.length;
  const temps = samples.flatMap((s) => [s.temp_c, s.temp2_c, s.setpoint_c])
    .filter((v) => typeof v === "number" && v > 0);
  let lo = Math.min(20, ...temps), hi = Math.max(50, ...temps);
  lo = Math.floor(lo / 5) * 5; hi = Math.ceil(hi / 5) * 5;
  const x = (i) => L + (W - L - R) * (samples.length < 2 ? 0 : i / (KEEP - 1));
  const y = (v, axis) => axis === "c"
    ? T + (H - T - B) * (1 - (v - lo) / (hi - lo))
    : T + (H - T - B) * (1 - v / 100);
  g.strokeStyle = "#eee"; g.fillStyle = "#666"; g.font = "12px sans-serif";
  for (let v = lo; v <= hi; v += 5) {
    g.beginPath(); g.moveTo(L, y(v, "c")); g.lineTo(W - R, y(v, "c")); g.stroke();
    g.fillText(`${v}`, 10, y(v, "c") + 4);
  }
  for (let p = 0; p <= 100; p += 25) g.fillText(`${p}%`, W - R + 6, y(p, "p") + 4);
  g.strokeStyle = "#c62828"; g.setLineDash([2, 3]);                 // the 50 C trip line
  g.beginPath(); g.moveTo(L, y(50, "c")); g.lineTo(W - R, y(50, "c")); g.stroke();
  let lx = L;
  for (const s of SERIES) {
    g.strokeStyle = s.color; g.setLineDash(s.dash || []); g.lineWidth = s.width || 2;
    g.beginPath();
    samples.forEach((row, i) => {
      const v = row[s.key];
      if (typeof v !== "number" || (s.axis === "c" && v <= 0)) return;
      const py = y(v, s.axis);
      i ? g.lineTo(x(i), py) : g.moveTo(x(i), py);
    });
    g.stroke();
    g.setLineDash([]); g.fillStyle = s.color; g.fillRect(lx, 8, 14, 4);
    g.fillStyle = "#333"; g.fillText(s.label, lx + 18, 14); lx += g.measureText(s.label).width + 40;
  }
  g.lineWidth = 1;
}

ws.onmessage = (m) => {
  const msg = JSON.parse(m.data);
  if (msg.type === "info") {
    $("port").textContent = `${msg.info.fw} ${msg.info.version} on ${msg.info.board} at ${msg.port}`;
  } else if (msg.type === "event") {
    if (msg.event.event === "telemetry") telemetry(msg.event);
    else { logEvent(msg.event); if (msg.event.event === "fault") banner(msg.event.code); }
  } else if (msg.type === "reply") {
    const r = msg.reply;
    $("reply").textContent = r.ok ? `ok: ${msg.request}` : `refused: ${msg.request}: ${r.error} ${r.detail || ""}`;
  } else if (msg.type === "refused") {
    $("reply").textContent = `refused: ${msg.detail}`;
  } else if (msg.type === "lost") {
    $("lost").textContent = `connection lost: ${msg.detail}`;
  }
};
ws.onclose = () => { $("lost").textContent = $("lost").textContent || "dashboard stopped"; };
draw();
