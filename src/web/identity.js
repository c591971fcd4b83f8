// @ts-check
// Who this tab is in the mesh. Its identity is an Ed25519 key kept in IndexedDB under a key slot
// (wsmesh/browser's loadIdentityKey), so the same browser stays the same peer across reloads and restarts.
// Tabs of one origin share storage but must not share a key (the node would keep only one of their links),
// so each tab leases a slot: it takes the first stored slot whose lease is free and refreshes the lease
// while it lives; a tab that finds all slots leased adds a new one.

const IDS_KEY = 'wsmesh.keySlots';
const LEASE_PREFIX = 'wsmesh.lease.';
const TAB_KEY = 'wsmesh.tabKeySlot';
const NAME_KEY = 'wsmesh.name';
const LEASE_MS = 10_000;
const REFRESH_MS = 3_000;
export const MAX_NAME_LENGTH = 40;

/** @param {number} byteCount */
function randomHex(byteCount) {
  return Array.from(crypto.getRandomValues(new Uint8Array(byteCount)), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** @param {string} key @returns {unknown} */
function readJson(key) {
  try {
    return JSON.parse(localStorage.getItem(key) ?? 'null');
  } catch {
    return null;
  }
}

/** @param {string} id @param {number} now */
function isLeaseFree(id, now) {
  const lease = Number(localStorage.getItem(LEASE_PREFIX + id));
  return !Number.isFinite(lease) || now - lease > LEASE_MS;
}

/**
 * This tab's key slot (kept until the tab closes; released on `pagehide` so a reload gets it back).
 * @returns {string}
 */
export function claimKeySlot() {
  const stored = readJson(IDS_KEY);
  const ids = Array.isArray(stored) ? stored.filter((id) => typeof id === 'string' && /^[0-9a-f]{32}$/.test(id)) : [];
  const now = Date.now();
  const previous = sessionStorage.getItem(TAB_KEY);
  const candidates = previous === null ? ids : [previous, ...ids];
  let id = candidates.find((candidate) => isLeaseFree(candidate, now));
  if (id === undefined) id = randomHex(16);
  if (!ids.includes(id)) localStorage.setItem(IDS_KEY, JSON.stringify([...ids, id]));
  sessionStorage.setItem(TAB_KEY, id);
  const leaseKey = LEASE_PREFIX + id;
  const renew = () => localStorage.setItem(leaseKey, String(Date.now()));
  /** @type {ReturnType<typeof setInterval> | undefined} */
  let timer;
  const hold = () => {
    renew();
    clearInterval(timer);
    timer = setInterval(renew, REFRESH_MS);
  };
  hold();
  addEventListener('pagehide', () => {
    clearInterval(timer);
    localStorage.removeItem(leaseKey);
  });
  addEventListener('pageshow', (event) => {
    if (event.persisted) hold();
  });
  return id;
}

/**
 * The name offered to a first-time visitor: "guest-" and the first characters of the peer id.
 * @param {string} peerId
 */
export function defaultName(peerId) {
  return `guest-${peerId.slice(0, 4)}`;
}

/** The name chosen before, or null. */
export function savedName() {
  const name = localStorage.getItem(NAME_KEY);
  return name === null ? null : cleanName(name);
}

/** @param {string} name */
export function saveName(name) {
  localStorage.setItem(NAME_KEY, name);
}

/**
 * A display name: trimmed, control characters removed, at most MAX_NAME_LENGTH characters; null if empty.
 * @param {string} name
 */
export function cleanName(name) {
  const cleaned = name.replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, MAX_NAME_LENGTH);
  return cleaned === '' ? null : cleaned;
}
