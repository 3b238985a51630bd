/**
 * Pure formatting: round trips, durations, flag names and segment kinds.
 * No DOM here, so the same functions run under node for the unit checks.
 */

/** Elapsed time in round trips, as the header's RTT clock prints it: "1.5", "1.0", "10.54". */
export function formatRtts(us, rttUs) {
  if (!(rttUs > 0)) return "0.0";
  // Two decimals separate 1.5 from 1.54 (a delayed ACK); a trailing zero says nothing.
  let text = (Math.round((us / rttUs) * 100) / 100).toFixed(2);
  if (text.endsWith("0")) text = text.slice(0, -1);
  return text;
}

function trimNumber(value, decimals) {
  return value.toFixed(decimals).replace(/\.?0+$/, "");
}

/** A duration for reading: "250 µs", "150 ms", "12.5 ms", "1.25 s", "60 s". */
export function formatDuration(us) {
  const abs = Math.abs(us);
  if (us === 0) return "0 ms";
  if (abs < 1000) return `${Math.round(us)} µs`;
  if (abs < 1_000_000) return `${trimNumber(us / 1000, abs < 10_000 ? 2 : 1)} ms`;
  return `${trimNumber(us / 1_000_000, 2)} s`;
}

/** A duration as the engine's parser accepts it back: "100ms", "1.5s", "250us", "0s" (a unit is required). */
export function durationInput(us) {
  if (us === 0) return "0s";
  if (us % 1_000_000 === 0) return `${us / 1_000_000}s`;
  if (us % 1000 === 0) return `${us / 1000}ms`;
  return `${us}us`;
}

// The order people say them in: SYN-ACK, FIN-ACK, RST-ACK, PSH-ACK.
const FLAG_ORDER = ["SYN", "RST", "FIN", "PSH", "ACK", "URG", "ECE", "CWR"];

/** Flags as one word: ["ACK","SYN"] -> "SYN-ACK". */
export function flagsName(flags) {
  const known = FLAG_ORDER.filter((f) => flags.includes(f));
  const other = flags.filter((f) => !FLAG_ORDER.includes(f));
  const all = known.concat(other);
  return all.length ? all.join("-") : "none";
}

/** The colour family of a segment: syn, synack, rst, fin, data or ack. */
export function segmentKind(segment) {
  const f = segment.flags;
  if (f.includes("RST")) return "rst";
  if (f.includes("SYN")) return f.includes("ACK") ? "synack" : "syn";
  if (f.includes("FIN")) return "fin";
  if (segment.len > 0) return "data";
  return "ack";
}

/** The line beneath the packet: relative numbers, as Wireshark shows them. */
export function segmentNumbers(segment) {
  const parts = [`seq ${segment.seq}`];
  if (segment.flags.includes("ACK")) parts.push(`ack ${segment.ack}`);
  if (segment.len > 0) parts.push(`${segment.len} B`);
  return parts.join(" · ");
}

/** "client" -> "Client"; names like "A" stay as they are. */
export function displayName(name) {
  return name ? name.charAt(0).toUpperCase() + name.slice(1) : "";
}

/** The netstat-style colour group of a TCP state, for styling only. */
export function stateGroup(state) {
  switch (state) {
    case "SYN_SENT":
    case "SYN_RECEIVED":
      return "opening";
    case "ESTABLISHED":
      return "open";
    case "FIN_WAIT_1":
    case "FIN_WAIT_2":
    case "CLOSE_WAIT":
    case "CLOSING":
    case "LAST_ACK":
      return "closing";
    case "TIME_WAIT":
      return "waiting";
    case "LISTEN":
      return "listening";
    default:
      return "closed";
  }
}
