/*
 * Opens WebSocket connections to 127.0.0.1:PORT as fast as the server completes their opening handshakes, and
 * keeps them open: the load generator of the handshakes/s figure (bench/sections/connections.ts). A Node client
 * spends 110-220 us of CPU per connection (a net.Socket, its streams, a promise), more than the servers under
 * test; four of them on one CPU were the bottleneck, so the figure measured the clients. This one costs the
 * kernel's connect and a few system calls per connection.
 *
 * Driven over stdin/stdout, one line each (bench/load/load-generator.ts runs it):
 *   key KEY ACCEPT          ->  (no answer) a Sec-WebSocket-Key and the Sec-WebSocket-Accept it must get; the
 *                               connections use the keys given, in turn (the Node side makes them with node:crypto:
 *                               nothing here computes a hash)
 *   open COUNT CONCURRENCY  ->  {"opened":N,"elapsedMs":X,"cpuMicros":Y,"problem":null or "..."}
 *   close                   ->  {"closed":N}   (resets every open connection: no TIME_WAIT left behind)
 * End of input closes everything and exits.
 *
 * Each connection sends the same request as the Node load generator (bench/load/frames.ts upgradeRequest) and
 * must get "HTTP/1.1 101 " and the matching Sec-WebSocket-Accept.
 *
 *   cc -O2 -o handshake-flood handshake-flood.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_HEAD 4096

struct conn {
  int fd;
  int state; /* 0 connecting, 1 waiting for the response, 2 open */
  int have;
  const char *accept;
  char head[MAX_HEAD];
};

static int port;
static int epfd;
static int *open_fds;
static int open_count, open_capacity;
static char problem[256];

#define MAX_KEYS 1024
static char keys[MAX_KEYS][25];
static char accepts[MAX_KEYS][29];
static int key_count, next_key;

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static long cpu_micros(void) {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000000L + usage.ru_utime.tv_usec + usage.ru_stime.tv_usec;
}

static void fail(const char *what) {
  if (problem[0] == 0) snprintf(problem, sizeof problem, "%s", what);
}

static void keep_open(int fd) {
  if (open_count == open_capacity) {
    open_capacity = open_capacity ? open_capacity * 2 : 1024;
    open_fds = realloc(open_fds, sizeof(int) * open_capacity);
  }
  open_fds[open_count++] = fd;
}

static void reset_close(int fd) {
  struct linger linger = {1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, sizeof linger);
  close(fd);
}

static int start_connection(struct conn *c) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (fd < 0) return fail("socket() failed (file descriptor limit?)"), -1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port)};
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&address, sizeof address) < 0 && errno != EINPROGRESS) {
    close(fd);
    return fail("connect() failed"), -1;
  }
  c->fd = fd;
  c->state = 0;
  c->have = 0;
  struct epoll_event event = {.events = EPOLLOUT, .data.ptr = c};
  epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &event);
  return 0;
}

static void send_request(struct conn *c) {
  const char *key = keys[next_key];
  c->accept = accepts[next_key];
  next_key = (next_key + 1) % key_count;
  char request[256];
  int length = snprintf(request, sizeof request,
                        "GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n",
                        port, key);
  if (write(c->fd, request, length) != length) fail("the request did not fit the socket buffer");
  c->state = 1;
  struct epoll_event event = {.events = EPOLLIN, .data.ptr = c};
  epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &event);
}

/* 1: the response is complete and right; 0: more to read; -1: failed. */
static int read_response(struct conn *c) {
  ssize_t n = read(c->fd, c->head + c->have, MAX_HEAD - 1 - c->have);
  if (n <= 0) {
    if (n < 0 && errno == EAGAIN) return 0;
    return fail("the server closed the connection during the handshake"), -1;
  }
  c->have += (int)n;
  c->head[c->have] = 0;
  char *end = strstr(c->head, "\r\n\r\n");
  if (end == NULL) return c->have >= MAX_HEAD - 1 ? (fail("response head too large"), -1) : 0;
  if (strncmp(c->head, "HTTP/1.1 101 ", 13) != 0) return fail("expected 101 Switching Protocols"), -1;
  for (char *line = strstr(c->head, "\r\n"); line != NULL && line < end; line = strstr(line + 2, "\r\n")) {
    if (strncasecmp(line + 2, "sec-websocket-accept:", 21) != 0) continue;
    char *value = line + 23;
    while (*value == ' ' || *value == '\t') value++;
    if (strncmp(value, c->accept, 28) == 0) return 1;
    break;
  }
  return fail("wrong or missing Sec-WebSocket-Accept"), -1;
}

static void open_connections(int count, int concurrency) {
  problem[0] = 0;
  if (key_count == 0) {
    printf("{\"opened\":0,\"elapsedMs\":0,\"cpuMicros\":0,\"problem\":\"no keys given (key KEY ACCEPT)\"}\n");
    fflush(stdout);
    return;
  }
  double started = now_ms();
  long cpu_before = cpu_micros();
  if (concurrency > count) concurrency = count;
  struct conn *conns = calloc(concurrency > 0 ? concurrency : 1, sizeof *conns);
  struct epoll_event events[256];
  int started_count = 0, opened = 0, active = 0;
  for (int i = 0; i < concurrency; i++) {
    if (start_connection(&conns[i]) == 0) started_count++, active++;
  }
  while (active > 0) {
    int ready = epoll_wait(epfd, events, 256, 10000);
    if (ready == 0) {
      fail("no progress within 10 s");
      break;
    }
    for (int i = 0; i < ready; i++) {
      struct conn *c = events[i].data.ptr;
      int done = 0;
      if (c->state == 0) {
        int error = 0;
        socklen_t size = sizeof error;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &error, &size);
        if (error != 0) {
          fail("connection refused or reset");
          done = -1;
        } else send_request(c);
      } else if (c->state == 1) done = read_response(c);
      if (done == 0) continue;
      epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
      if (done == 1) {
        keep_open(c->fd);
        opened++;
      } else reset_close(c->fd);
      active--;
      if (started_count < count && problem[0] == 0 && start_connection(c) == 0) started_count++, active++;
    }
  }
  free(conns);
  printf("{\"opened\":%d,\"elapsedMs\":%.3f,\"cpuMicros\":%ld,\"problem\":", opened, now_ms() - started, cpu_micros() - cpu_before);
  if (problem[0]) printf("\"%s\"}\n", problem);
  else printf("null}\n");
  fflush(stdout);
}

static void close_all(void) {
  int closed = open_count;
  for (int i = 0; i < open_count; i++) reset_close(open_fds[i]);
  open_count = 0;
  printf("{\"closed\":%d}\n", closed);
  fflush(stdout);
}

int main(int argc, char **argv) {
  if (argc != 2 || (port = atoi(argv[1])) <= 0) {
    fprintf(stderr, "usage: handshake-flood PORT (commands on stdin)\n");
    return 2;
  }
  epfd = epoll_create1(0);
  char line[128];
  while (fgets(line, sizeof line, stdin) != NULL) {
    int count, concurrency;
    char key[32], accept[32];
    if (sscanf(line, "key %31s %31s", key, accept) == 2) {
      if (key_count < MAX_KEYS && strlen(key) == 24 && strlen(accept) == 28) {
        strcpy(keys[key_count], key);
        strcpy(accepts[key_count++], accept);
      }
    } else if (sscanf(line, "open %d %d", &count, &concurrency) == 2) open_connections(count, concurrency);
    else if (strncmp(line, "close", 5) == 0) close_all();
    else {
      printf("{\"problem\":\"unknown command\"}\n");
      fflush(stdout);
    }
  }
  for (int i = 0; i < open_count; i++) reset_close(open_fds[i]);
  return 0;
}
