/**
 * How the page spells a TCP state: synack's own names (RFC 9293 with
 * underscores), RFC 9293's hyphens, or what netstat and ss print, as
 * `synack run --names` does in the terminal. The table is the one in
 * synack/trace/names.py; tests/test_web_names.py keeps the two equal. The
 * trace always carries synack's names; only what is shown changes.
 */

export const STATE_NAMES = {
  "synack": {
    "CLOSED": "CLOSED",
    "LISTEN": "LISTEN",
    "SYN_SENT": "SYN_SENT",
    "SYN_RECEIVED": "SYN_RECEIVED",
    "ESTABLISHED": "ESTABLISHED",
    "FIN_WAIT_1": "FIN_WAIT_1",
    "FIN_WAIT_2": "FIN_WAIT_2",
    "CLOSE_WAIT": "CLOSE_WAIT",
    "CLOSING": "CLOSING",
    "LAST_ACK": "LAST_ACK",
    "TIME_WAIT": "TIME_WAIT"
  },
  "rfc": {
    "CLOSED": "CLOSED",
    "LISTEN": "LISTEN",
    "SYN_SENT": "SYN-SENT",
    "SYN_RECEIVED": "SYN-RECEIVED",
    "ESTABLISHED": "ESTABLISHED",
    "FIN_WAIT_1": "FIN-WAIT-1",
    "FIN_WAIT_2": "FIN-WAIT-2",
    "CLOSE_WAIT": "CLOSE-WAIT",
    "CLOSING": "CLOSING",
    "LAST_ACK": "LAST-ACK",
    "TIME_WAIT": "TIME-WAIT"
  },
  "netstat": {
    "CLOSED": "CLOSE",
    "LISTEN": "LISTEN",
    "SYN_SENT": "SYN_SENT",
    "SYN_RECEIVED": "SYN_RECV",
    "ESTABLISHED": "ESTABLISHED",
    "FIN_WAIT_1": "FIN_WAIT1",
    "FIN_WAIT_2": "FIN_WAIT2",
    "CLOSE_WAIT": "CLOSE_WAIT",
    "CLOSING": "CLOSING",
    "LAST_ACK": "LAST_ACK",
    "TIME_WAIT": "TIME_WAIT"
  },
  "ss": {
    "CLOSED": "UNCONN",
    "LISTEN": "LISTEN",
    "SYN_SENT": "SYN-SENT",
    "SYN_RECEIVED": "SYN-RECV",
    "ESTABLISHED": "ESTAB",
    "FIN_WAIT_1": "FIN-WAIT-1",
    "FIN_WAIT_2": "FIN-WAIT-2",
    "CLOSE_WAIT": "CLOSE-WAIT",
    "CLOSING": "CLOSING",
    "LAST_ACK": "LAST-ACK",
    "TIME_WAIT": "TIME-WAIT"
  }
};

export const NAME_STYLES = Object.keys(STATE_NAMES);

let style = "synack";

/** Choose the spelling for everything drawn after this; unknown styles leave it unchanged. */
export function setNameStyle(next) {
  if (NAME_STYLES.includes(next)) style = next;
  return style;
}

export function nameStyle() {
  return style;
}

/** One state in the chosen spelling: "SYN_RECEIVED" -> "SYN_RECV" for netstat; a capture's guess keeps its "?". */
export function stateLabel(state) {
  if (typeof state === "string" && state.length > 1 && state.endsWith("?")) return `${stateLabel(state.slice(0, -1))}?`;
  return STATE_NAMES[style][state] || state;
}

// Longest first, so FIN_WAIT_1 is never read as part of a shorter name.
const WORD = new RegExp(`\\b(${Object.keys(STATE_NAMES.synack).sort((a, b) => b.length - a.length).join("|")})\\b`, "g");

/** Every state name in a sentence (a note) in the chosen spelling. */
export function renameStates(text) {
  if (style === "synack" || !text) return text;
  return text.replace(WORD, (name) => stateLabel(name));
}
