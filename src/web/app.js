// @ts-check
// The page every node serves: the live peer table with RTT plots at once (as an observer), the chat beside
// it (joined under a generated name the user can change), a status line; a secret form when the mesh has one.
import { connectMesh, loadIdentityKey } from '../browser/index.js';
import { ChatView } from './chat-view.js';
import { claimKeySlot, cleanName, defaultName, saveName, savedName } from './identity.js';
import { describeNodeChoice } from './node-choice.js';
import { PeerTableView, shownName } from './peer-table.js';
import { RttHistory } from './rtt-plot.js';
import { describeLink, describeStatus } from './status-text.js';

/** @import { IdentityKey, MeshClient, MeshPeer, MessageInfo } from '../browser/index.js' */

const MAX_MESSAGE_LENGTH = 2000;

/**
 * @template {HTMLElement} T
 * @param {string} id
 * @param {new () => T} type
 * @returns {T}
 */
function element(id, type) {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`the page lacks #${id}`);
  return found;
}

const ui = {
  whoami: element('whoami', HTMLParagraphElement),
  changeName: element('change-name', HTMLButtonElement),
  status: element('status', HTMLDivElement),
  nodeConfirm: element('node-confirm', HTMLElement),
  nodeConfirmText: element('node-confirm-text', HTMLParagraphElement),
  nodeConfirmYes: element('node-confirm-yes', HTMLButtonElement),
  nodeConfirmNo: element('node-confirm-no', HTMLButtonElement),
  secretForm: element('secret-form', HTMLFormElement),
  secret: element('secret', HTMLInputElement),
  secretHint: element('secret-hint', HTMLParagraphElement),
  mesh: element('mesh', HTMLElement),
  peersPanel: element('peers-panel', HTMLElement),
  peersStale: element('peers-stale', HTMLParagraphElement),
  peerRows: /** @type {HTMLTableSectionElement} */ (element('peer-table', HTMLTableElement).tBodies[0]),
  linkInfo: element('link-info', HTMLParagraphElement),
  chatLog: element('chat-log', HTMLOListElement),
  join: element('join', HTMLFormElement),
  joinName: element('join-name', HTMLInputElement),
  joinHint: element('join-hint', HTMLParagraphElement),
  composer: element('composer', HTMLFormElement),
  target: element('target', HTMLSpanElement),
  clearTarget: element('clear-target', HTMLButtonElement),
  message: element('message', HTMLInputElement),
  send: element('send', HTMLButtonElement),
};

const history = new RttHistory();
const chat = new ChatView(ui.chatLog);
const table = new PeerTableView(ui.peerRows, selectTarget);

/** @type {MeshClient | null} */
let client = null;
/** @type {string} the node's host:port, for messages */
let nodeHost = location.host;
/** Whether the user joined the chat (chose a name); before that the page only watches. */
let joined = false;
/** Whether the user gave a secret (else, once connected, the mesh is open). */
let usedSecret = false;
/** @type {{ id: string, name: string } | null} */
let target = null;

/** The shown name of a peer, or null while the node's peer list does not have it. @param {string} id */
function knownName(id) {
  const peer = client?.peers.find((candidate) => candidate.id === id);
  return peer === undefined ? null : shownName(peer.name);
}

/** @param {string} id @param {string} name */
function selectTarget(id, name) {
  target = { id, name };
  renderTarget();
  renderPeers();
  if (joined) ui.message.focus();
}

function renderTarget() {
  ui.target.textContent = target === null ? 'To everyone' : `To ${shownName(target.name)} only`;
  ui.target.dataset.target = target?.id ?? '';
  ui.target.classList.toggle('direct', target !== null);
  ui.clearTarget.hidden = target === null;
}

function renderPeers() {
  table.update(client?.peers ?? [], { selectedId: target?.id ?? null, history, now: Date.now() });
}

function renderIdentity() {
  if (client === null) return;
  ui.whoami.textContent = joined ? `You are ${client.name} (browser peer ${client.id.slice(0, 8)})` : `Watching the mesh (browser peer ${client.id.slice(0, 8)})`;
  ui.changeName.hidden = !joined;
  ui.join.hidden = joined;
  ui.composer.hidden = !joined;
}

function renderStatus() {
  if (client === null) return;
  const status = client.status;
  const { tone, text, action } = describeStatus(status, nodeHost, Date.now());
  ui.status.dataset.tone = tone;
  ui.status.dataset.state = status.state;
  ui.status.dataset.problem = status.problem?.code ?? '';
  ui.status.textContent = text;
  const open = status.state === 'open';
  if (action === 'retry' && !open) ui.status.append(button('Retry now', () => client?.reconnect()));
  const askSecret = action === 'secret';
  if (askSecret) {
    ui.secretHint.textContent = status.problem?.code === 'wrong-secret' ? 'Wrong secret, try again.' : '';
    if (ui.secretForm.hidden) {
      ui.secretForm.hidden = false;
      ui.secret.focus();
    }
  }
  // With a secret, nothing of the mesh is shown before the node accepted it.
  if (open) {
    ui.secretForm.hidden = true;
    ui.mesh.hidden = false;
  } else if (askSecret) {
    ui.mesh.hidden = true;
  }
  ui.linkInfo.textContent = status.crypto === null ? '' : describeLink(status.crypto, !usedSecret);
  ui.peersPanel.classList.toggle('stale', !open);
  ui.peersStale.hidden = open;
  ui.message.disabled = !open;
  ui.send.disabled = !open;
}

/** @param {string} label @param {() => void} onClick */
function button(label, onClick) {
  const created = document.createElement('button');
  created.type = 'button';
  created.textContent = label;
  created.addEventListener('click', onClick);
  return created;
}

/** @param {string | Uint8Array} data @param {MessageInfo} info */
function showMessage(data, info) {
  const text = typeof data === 'string' ? data : `[binary message, ${data.byteLength} bytes]`;
  const name = knownName(info.from);
  const directTo = info.to === null ? null : 'you';
  chat.addMessage({ at: info.receivedAt, sender: name ?? info.from.slice(0, 8), text, mine: false, directTo, ...(name === null ? { unnamed: { id: info.from } } : {}) });
}

/** @param {MeshPeer[]} peers */
function recordPeers(peers) {
  const now = Date.now();
  for (const peer of peers) if (peer.rtt !== null) history.record(peer.id, peer.rtt, now);
  if (target !== null && !peers.some((peer) => peer.id === target?.id)) {
    chat.addNotice(`${shownName(target.name)} left; messages go to everyone again.`, now);
    target = null;
    renderTarget();
  }
  chat.nameSenders(knownName);
  renderPeers();
}

/** @param {string} nodeUrl @param {IdentityKey} identity */
function start(nodeUrl, identity) {
  const name = savedName();
  joined = name !== null;
  const started = connectMesh(nodeUrl, { name: name ?? defaultName(identity.id), identity });
  client = started;
  document.documentElement.dataset.peerId = started.id;
  started.on('status', renderStatus);
  started.on('peers', recordPeers);
  started.on('message', showMessage);
  started.on('open', (node) => chat.addNotice(`Attached to the mesh through ${shownName(node.name)}.`, Date.now()));
  started.on('close', (problem) => chat.addNotice(`Connection lost: ${problem.message}`, Date.now()));
  ui.joinName.value = started.name;
  renderIdentity();
  renderStatus();
  renderPeers();
}

/**
 * The node to talk to: this page's own, or another one named by `?node=` once the user allowed it in
 * plain sight (a link must not send the page, its identity and its secret to a node of the link's choice).
 * @returns {Promise<string>}
 */
function chooseNode() {
  const choice = describeNodeChoice(new URLSearchParams(location.search).get('node'), location);
  if (choice.foreign === null) return Promise.resolve(choice.own);
  ui.nodeConfirm.hidden = false;
  ui.nodeConfirmText.textContent = choice.question;
  ui.nodeConfirmYes.textContent = `Connect to ${choice.foreign.host}`;
  ui.nodeConfirmNo.textContent = `Stay on ${location.host}`;
  ui.status.textContent = `This link names another node (${choice.foreign.host}): nothing is sent to it unless you allow it.`;
  ui.status.dataset.tone = 'warn';
  return new Promise((resolve) => {
    /** @param {{ url: string, host: string }} node */
    const decide = (node) => {
      ui.nodeConfirm.hidden = true;
      nodeHost = node.host;
      resolve(node.url);
    };
    const foreign = choice.foreign;
    ui.nodeConfirmYes.addEventListener('click', () => foreign !== null && decide(foreign), { once: true });
    ui.nodeConfirmNo.addEventListener('click', () => decide({ url: choice.own, host: location.host }), { once: true });
  });
}

ui.secretForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const secret = ui.secret.value;
  ui.secret.value = '';
  ui.secretForm.hidden = true;
  usedSecret = true;
  client?.reconnect({ secret });
});

ui.join.addEventListener('submit', (event) => {
  event.preventDefault();
  const name = cleanName(ui.joinName.value);
  if (name === null || client === null) {
    ui.joinHint.textContent = 'Please enter a name.';
    return;
  }
  saveName(name);
  joined = true;
  if (client.name !== name) client.reconnect({ name });
  renderIdentity();
  ui.message.focus();
});

ui.changeName.addEventListener('click', () => {
  joined = false;
  if (client !== null) ui.joinName.value = client.name;
  renderIdentity();
  ui.joinName.focus();
});

ui.clearTarget.addEventListener('click', () => {
  target = null;
  renderTarget();
  renderPeers();
});

ui.composer.addEventListener('submit', (event) => {
  event.preventDefault();
  const text = ui.message.value;
  if (client === null || text.trim() === '') return;
  if (text.length > MAX_MESSAGE_LENGTH) {
    chat.addNotice(`Messages are limited to ${MAX_MESSAGE_LENGTH} characters.`, Date.now());
    return;
  }
  const entry = { at: Date.now(), sender: client.name, text, mine: true, directTo: target === null ? null : shownName(target.name) };
  const setDelivery = chat.addMessage(entry);
  if (target === null) {
    try {
      client.broadcast(text);
    } catch (error) {
      setDelivery(`not sent: ${error instanceof Error ? error.message : String(error)}`, true);
      return;
    }
  } else {
    setDelivery('sending…');
    client.send(target.id, text).then(
      () => setDelivery('delivered'),
      (error) => setDelivery(`not delivered: ${error instanceof Error ? error.message : String(error)}`, true),
    );
  }
  ui.message.value = '';
});

setInterval(() => {
  if (client?.status.state === 'waiting') renderStatus();
  renderPeers();
}, 1000);

renderTarget();
const nodeUrl = await chooseNode();
start(nodeUrl, await loadIdentityKey(claimKeySlot()));
