/**
 * Reads the bytes of an encoded segment (`ip_hex`: IPv4 header, TCP header,
 * payload) back into named fields with their byte ranges, so the inspector
 * shows what is really on the wire (RFC 791 section 3.1, RFC 9293 section 3.1)
 * and can point at the bytes of each field. Pure; no DOM.
 */

export function hexToBytes(hex) {
  const clean = (hex || "").replace(/[^0-9a-fA-F]/g, "");
  const out = new Uint8Array(clean.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.substr(i * 2, 2), 16);
  return out;
}

function u16(b, i) {
  return (b[i] << 8) | b[i + 1];
}

function u32(b, i) {
  // `>>> 0` keeps sequence numbers above 2**31 positive.
  return ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;
}

function hex16(v) {
  return "0x" + v.toString(16).padStart(4, "0");
}

const TCP_FLAG_BITS = [
  [0x80, "CWR"], [0x40, "ECE"], [0x20, "URG"], [0x10, "ACK"],
  [0x08, "PSH"], [0x04, "RST"], [0x02, "SYN"], [0x01, "FIN"],
];

/**
 * Decode an IPv4 packet carrying TCP. Returns {fields, regions, error}:
 * fields are {layer, name, value, start, end} with byte offsets; regions
 * ({name, start, end}) colour the hex dump: ip, tcp, options, payload.
 */
export function decodePacket(bytes) {
  const fields = [];
  const regions = [];
  if (bytes.length < 20 || bytes[0] >> 4 !== 4) {
    return { fields, regions, error: "not an IPv4 packet" };
  }
  const ihl = (bytes[0] & 0x0f) * 4;
  const total = u16(bytes, 2);
  const fragWord = u16(bytes, 6);
  const ipFlags = [];
  if (fragWord & 0x4000) ipFlags.push("DF");
  if (fragWord & 0x2000) ipFlags.push("MF");
  const ip = (i) => `${bytes[i]}.${bytes[i + 1]}.${bytes[i + 2]}.${bytes[i + 3]}`;
  const add = (layer, name, value, start, end) => fields.push({ layer, name, value: String(value), start, end });
  add("IPv4", "Version", 4, 0, 1);
  add("IPv4", "Header length", `${ihl} bytes`, 0, 1);
  add("IPv4", "DSCP / ECN", `${bytes[1] >> 2} / ${bytes[1] & 3}`, 1, 2);
  add("IPv4", "Total length", `${total} bytes`, 2, 4);
  add("IPv4", "Identification", u16(bytes, 4), 4, 6);
  add("IPv4", "Flags / fragment offset", `${ipFlags.join(" ") || "none"} / ${fragWord & 0x1fff}`, 6, 8);
  add("IPv4", "Time to live", bytes[8], 8, 9);
  add("IPv4", "Protocol", bytes[9] === 6 ? "6 (TCP)" : bytes[9], 9, 10);
  add("IPv4", "Header checksum", hex16(u16(bytes, 10)), 10, 12);
  add("IPv4", "Source", ip(12), 12, 16);
  add("IPv4", "Destination", ip(16), 16, 20);
  regions.push({ name: "ip", start: 0, end: ihl });

  const t = ihl;
  if (bytes[9] !== 6 || bytes.length < t + 20) {
    return { fields, regions, error: "no TCP header" };
  }
  const offset = (bytes[t + 12] >> 4) * 4;
  const flagByte = bytes[t + 13];
  const flags = TCP_FLAG_BITS.filter(([bit]) => flagByte & bit).map(([, n]) => n);
  add("TCP", "Source port", u16(bytes, t), t, t + 2);
  add("TCP", "Destination port", u16(bytes, t + 2), t + 2, t + 4);
  add("TCP", "Sequence number", u32(bytes, t + 4), t + 4, t + 8);
  add("TCP", "Acknowledgment number", u32(bytes, t + 8), t + 8, t + 12);
  add("TCP", "Data offset", `${offset} bytes`, t + 12, t + 13);
  add("TCP", "Flags", `${flags.join(" ") || "none"} (0x${flagByte.toString(16).padStart(2, "0")})`, t + 13, t + 14);
  add("TCP", "Window", u16(bytes, t + 14), t + 14, t + 16);
  add("TCP", "Checksum", hex16(u16(bytes, t + 16)), t + 16, t + 18);
  add("TCP", "Urgent pointer", u16(bytes, t + 18), t + 18, t + 20);
  regions.push({ name: "tcp", start: t, end: t + 20 });
  if (offset > 20) {
    add("TCP", "Options", `${offset - 20} bytes`, t + 20, t + offset);
    regions.push({ name: "options", start: t + 20, end: t + offset });
  }
  const payloadStart = t + offset;
  const payloadEnd = Math.min(total || bytes.length, bytes.length);
  if (payloadEnd > payloadStart) {
    add("TCP", "Payload", `${payloadEnd - payloadStart} bytes`, payloadStart, payloadEnd);
    regions.push({ name: "payload", start: payloadStart, end: payloadEnd });
  }
  return { fields, regions, error: null };
}
