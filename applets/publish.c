/* SPDX-License-Identifier: MIT */
/*
 * shim-publish: sends one event to containerd over ttrpc Events.Forward (PROTOCOL.md 4.3), as a
 * drop-in for `containerd [--address A] publish --topic T --namespace NS` (4.4) with the event's
 * Any on stdin, or built from flags (--event oom --container-id ID) for shell scripts.
 */
#include "applets.h"

#include "core/address.h"
#include "core/client.h"
#include "core/flags.h"
#include "core/sys.h"
#include "wire/events.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TIMEOUT_MS 5000 /* the reference's dial and Forward deadlines */

/* The events --event builds from flags (wire/events' table gives their topics and types). */
static const enum ev_task flag_events[] = {
	EV_TASK_START,  EV_TASK_EXIT,    EV_TASK_DELETE,     EV_TASK_OOM,
	EV_TASK_PAUSED, EV_TASK_RESUMED, EV_TASK_EXEC_ADDED, EV_TASK_EXEC_STARTED,
};

static const char help[] =
    "usage: shim-publish [--address A] [publish] --namespace NS --topic T < event.any\n"
    "       shim-publish [--address A] --namespace NS --event KIND --container-id ID ...\n"
    "Sends one event to containerd (Events.Forward over ttrpc); exits 0 once containerd\n"
    "accepted it. A drop-in for 'containerd --address A publish --topic T --namespace NS',\n"
    "so it can be a v1 shim's -containerd-binary.\n"
    "  --address A        containerd's gRPC socket (/run/containerd/containerd.sock);\n"
    "                     events go to $TTRPC_ADDRESS if set, else to A.ttrpc\n"
    "  --namespace NS     containerd namespace (required)\n"
    "  --topic T          event topic, e.g. /tasks/oom; stdin holds the event as a\n"
    "                     protobuf-encoded google.protobuf.Any\n"
    "  --event KIND       build the event from flags instead of stdin; KIND: start,\n"
    "                     exit, delete, oom, paused, resumed, exec-added, exec-started\n"
    "                     (topic /tasks/KIND, type containerd.events.Task...)\n"
    "  --container-id ID  the container (required with --event)\n"
    "  --exec-id E        the exec (exec-added, exec-started; exit and delete of an\n"
    "                     exec); omitted or the container id means init; also --id\n"
    "  --pid N            start, exit, delete, exec-started\n"
    "  --exit-status N    exit, delete (exited_at is now)\n"
    "Exit status: 0 accepted, 1 not delivered or refused (containerd's status on\n"
    "stderr), 100 usage.\n";

static int __attribute__((format(printf, 1, 2))) bad_usage(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("shim-publish: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs("\nrun 'shim-publish --help' for usage\n", stderr);
	va_end(ap);
	return EXIT_USAGE;
}

static int find_kind(const char *name, enum ev_task *k)
{
	for (size_t i = 0; i < ARRAY_LEN(flag_events); i++) {
		if (strcmp(ev_topic(flag_events[i])->name, name) == 0) {
			*k = flag_events[i];
			return 0;
		}
	}
	return -1;
}

struct ev_flags {
	const char *cid, *exec_id;
	uint32_t pid, status;
};

/* Encodes the event of kind k into w (checked by the caller through w->err). */
static void encode_event(struct pb_w *w, enum ev_task k, const struct ev_flags *f)
{
	struct pb_str cid = pb_str_of(f->cid, strlen(f->cid));
	const char *eid = f->exec_id && strcmp(f->exec_id, f->cid) != 0 ? f->exec_id : "";
	struct pb_str exec = pb_str_of(eid, strlen(eid));
	struct tk_timestamp now;

	sys_now(&now.seconds, &now.nanos);
	switch (k) {
	case EV_TASK_START: {
		struct ev_task_start m = { .container_id = cid, .pid = f->pid };
		ev_task_start_encode(w, &m);
		break;
	}
	case EV_TASK_EXIT: {
		/* id is the exec id, or the container id for init (PROTOCOL.md 4.1). */
		struct ev_task_exit m = { .container_id = cid,
			                  .id = exec.n ? exec : cid,
			                  .pid = f->pid,
			                  .exit_status = f->status,
			                  .exited_at = now };
		ev_task_exit_encode(w, &m);
		break;
	}
	case EV_TASK_DELETE: {
		struct ev_task_delete m = { .container_id = cid,
			                    .pid = f->pid,
			                    .exit_status = f->status,
			                    .exited_at = now,
			                    .id = exec };
		ev_task_delete_encode(w, &m);
		break;
	}
	case EV_TASK_EXEC_ADDED:
	case EV_TASK_EXEC_STARTED: {
		struct ev_task_exec m = { .container_id = cid,
			                  .exec_id = pb_str_of(f->exec_id, strlen(f->exec_id)),
			                  .pid = k == EV_TASK_EXEC_STARTED ? f->pid : 0 };
		ev_task_exec_encode(w, &m);
		break;
	}
	default: { /* oom, paused, resumed */
		struct ev_task_id m = { .container_id = cid };
		ev_task_id_encode(w, &m);
	}
	}
}

/* Reads stdin whole, up to cap bytes. Its length, or -errno (-EMSGSIZE when longer). */
static ssize_t read_all_stdin(uint8_t *buf, size_t cap)
{
	size_t n = 0;
	for (;;) {
		ssize_t r = sys_read(0, buf + n, cap - n);
		if (r < 0)
			return r;
		if (r == 0)
			return (ssize_t)n;
		n += (size_t)r;
		if (n == cap)
			return -EMSGSIZE;
	}
}

struct pub_flags {
	const char *address, *topic, *ns, *event;
	struct ev_flags ef;
};

/* Parses argv into pf and checks the namespace: 0, or -1 when the applet is done (help printed,
 * or a usage error) and exits with *status. */
static int publish_parse(int argc, char **argv, struct pub_flags *pf, int *status)
{
	struct err err;
	const struct flag defs[] = {
		{ "address", FLAG_STR, &pf->address },     { "topic", FLAG_STR, &pf->topic },
		{ "namespace", FLAG_STR, &pf->ns },        { "event", FLAG_STR, &pf->event },
		{ "container-id", FLAG_STR, &pf->ef.cid }, { "exec-id", FLAG_STR, &pf->ef.exec_id },
		{ "id", FLAG_STR, &pf->ef.exec_id },       { "pid", FLAG_U32, &pf->ef.pid },
		{ "exit-status", FLAG_U32, &pf->ef.status },
	};
	int i = 1, r;

	memset(pf, 0, sizeof(*pf));
	pf->address = "/run/containerd/containerd.sock";
	/* `containerd --address A publish --topic T ...`: the word publish may sit among flags. */
	r = flags_parse(defs, ARRAY_LEN(defs), argc, argv, &i, &err);
	if (r == 0 && i < argc && strcmp(argv[i], "publish") == 0) {
		i++;
		r = flags_parse(defs, ARRAY_LEN(defs), argc, argv, &i, &err);
	}
	if (r == FLAGS_HELP)
		*status = fputs(help, stdout) < 0;
	else if (r < 0)
		*status = bad_usage("%s", err.msg);
	else if (i < argc)
		*status = bad_usage("unexpected argument '%s'", argv[i]);
	else if (!pf->ns)
		*status = bad_usage("%s", "--namespace is required");
	else if (!ev_identifier_valid(pb_str_of(pf->ns, strlen(pf->ns))))
		*status = bad_usage("invalid namespace \"%s\": containerd wants letters and "
		                    "digits, separated by single '.', '_' or '-', at most 76 "
		                    "characters",
		                    pf->ns);
	else
		return 0;
	return -1;
}

/*
 * The event's kind (*k, for --event; *from_flags 0 for an event on stdin) and its topic,
 * which --event sets: 0, or EXIT_USAGE after a message.
 */
static int publish_topic(struct pub_flags *pf, enum ev_task *k, int *from_flags)
{
	const struct ev_flags *ef = &pf->ef;

	*from_flags = pf->event != NULL;
	if (pf->event) {
		if (find_kind(pf->event, k) < 0)
			return bad_usage("unknown --event '%s' (start, exit, delete, oom, paused, "
			                 "resumed, exec-added, exec-started)",
			                 pf->event);
		if (!ef->cid || !*ef->cid)
			return bad_usage("--event %s needs --container-id", pf->event);
		if (strncmp(pf->event, "exec-", 5) == 0 && (!ef->exec_id || !*ef->exec_id))
			return bad_usage("--event %s needs --exec-id", pf->event);
		const char *topic = ev_topic(*k)->topic;
		if (pf->topic && strcmp(pf->topic, topic) != 0)
			return bad_usage("--topic does not match --event (whose topic is %s)", topic);
		pf->topic = topic;
	} else if (ef->cid || ef->exec_id || ef->pid || ef->status) {
		return bad_usage("%s", "--container-id, --exec-id, --pid and --exit-status go "
		                       "with --event");
	}
	if (!pf->topic)
		return bad_usage("%s", "--topic (with the event on stdin) or --event is required");
	if (!ev_topic_valid(pb_str_of(pf->topic, strlen(pf->topic))))
		return bad_usage("invalid topic \"%s\": it must start with '/' and each component "
		                 "be a containerd identifier",
		                 pf->topic);
	return 0;
}

/* The event Any built from the flags: its value in ebuf. 0, or EXIT_USAGE after a message. */
static int event_from_flags(enum ev_task k, const struct ev_flags *ef, uint8_t *ebuf,
                            size_t ecap, struct tk_any *any)
{
	struct pb_w w = pb_w_init(ebuf, ecap);
	encode_event(&w, k, ef);
	if (w.err)
		return bad_usage("%s", "ids too long for an event");
	const char *type_url = ev_topic(k)->type_url;
	any->type_url = pb_str_of(type_url, strlen(type_url));
	any->value = (struct pb_str){ ebuf, w.len };
	return 0;
}

/* The event Any read from stdin into *in (the caller frees it, whatever the result): 0, or an
 * exit status after a message. */
static int event_from_stdin(uint8_t **in, struct tk_any *any)
{
	if (isatty(0))
		return bad_usage("%s", "expected the event on stdin, a protobuf-encoded "
		                       "google.protobuf.Any (or use --event)");
	/* Room for the envelope around it within the 4 MiB of a message. */
	ssize_t n = (*in = malloc(TT_MAX_MSG - 4096)) ? read_all_stdin(*in, TT_MAX_MSG - 4096)
	                                              : -ENOMEM;
	if (n < 0) {
		fprintf(stderr, "shim-publish: read stdin: %s\n",
		        n == -EMSGSIZE ? "event too large" : strerror((int)-n));
		return 1;
	}
	if (n == 0) {
		fprintf(stderr, "shim-publish: no event on stdin (expected a protobuf "
		                "google.protobuf.Any)\n");
		return 1;
	}
	if (tk_any_decode(*in, (size_t)n, any) < 0 || any->type_url.n == 0) {
		fprintf(stderr,
		        "shim-publish: stdin does not hold a protobuf "
		        "google.protobuf.Any with a type_url (%zd bytes)\n",
		        n);
		return 1;
	}
	return 0;
}

/* The ForwardRequest of the event, stamped now, on the heap (*len bytes); NULL after a
 * message. */
static uint8_t *forward_req_new(const char *ns, const char *topic, const struct tk_any *any,
                                size_t *len)
{
	struct ev_envelope env = { .ns = pb_str_of(ns, strlen(ns)),
		                   .topic = pb_str_of(topic, strlen(topic)),
		                   .event = *any };
	sys_now(&env.timestamp.seconds, &env.timestamp.nanos);
	size_t cap = any->value.n + any->type_url.n + strlen(ns) + strlen(topic) + 128;
	uint8_t *req = malloc(cap);
	if (!req) {
		fprintf(stderr, "shim-publish: out of memory\n");
		return NULL;
	}
	struct pb_w w = pb_w_init(req, cap);
	ev_forward_req_encode(&w, &env);
	if (w.err) {
		fprintf(stderr, "shim-publish: the event does not fit a ttrpc message\n");
		free(req);
		return NULL;
	}
	*len = w.len;
	return req;
}

/* Where: $TTRPC_ADDRESS (as containerd gives shims), else <address>.ttrpc. 0, or EXIT_USAGE
 * after a message. */
static int ttrpc_address(const char *address, char *ttaddr, size_t cap)
{
	const char *env_addr = getenv("TTRPC_ADDRESS");
	address = address_socket_path(address);
	if (env_addr && *env_addr)
		snprintf(ttaddr, cap, "%s", env_addr);
	else if (sys_fmt(ttaddr, cap, "%s.ttrpc", address) < 0)
		return bad_usage("address too long: %s", address);
	return 0;
}

/* Calls Events.Forward with req: 0 once containerd accepted it, or 1 after a message. */
static int forward(const char *ttaddr, const char *ns, const char *topic, const uint8_t *req,
                   size_t len)
{
	struct ttc c;
	uint8_t *resp;
	size_t resp_len;
	int code;
	char msg[512];
	const struct tt_kv meta[] = { { TTC_META_NS, ns } };
	int e = ttc_connect(&c, ttaddr, TIMEOUT_MS);
	if (e < 0) {
		fprintf(stderr, "shim-publish: cannot reach containerd at %s: %s\n", ttaddr,
		        strerror(-e));
		return 1;
	}
	e = ttc_call(&c, EV_SERVICE, EV_METHOD, req, len, meta, ARRAY_LEN(meta), TIMEOUT_MS,
	             &resp, &resp_len, &code, msg, sizeof(msg));
	ttc_close(&c);
	free(resp);
	if (e < 0) {
		fprintf(stderr, "shim-publish: sending %s to containerd at %s: %s\n", topic, ttaddr,
		        e == -ETIMEDOUT ? "no answer within 5 s" : strerror(-e));
		return 1;
	}
	if (code != TT_OK) {
		fprintf(stderr, "shim-publish: containerd refused %s: %s (%d): %s\n", topic,
		        ttc_code_name(code), code, msg);
		return 1;
	}
	return 0;
}

int shim_publish_main(int argc, char **argv)
{
	struct pub_flags pf;
	enum ev_task k = EV_TASK_COUNT;
	int from_flags;
	char ttaddr[256];
	uint8_t ebuf[1024], *in = NULL, *req;
	struct tk_any any;
	size_t len;
	int r;

	if (publish_parse(argc, argv, &pf, &r) < 0)
		return r;
	if ((r = publish_topic(&pf, &k, &from_flags)) != 0)
		return r;
	if (from_flags)
		r = event_from_flags(k, &pf.ef, ebuf, sizeof(ebuf), &any);
	else
		r = event_from_stdin(&in, &any);
	req = r == 0 ? forward_req_new(pf.ns, pf.topic, &any, &len) : NULL;
	free(in);
	if (r != 0 || !req)
		return r != 0 ? r : 1;
	if ((r = ttrpc_address(pf.address, ttaddr, sizeof(ttaddr))) == 0)
		r = forward(ttaddr, pf.ns, pf.topic, req, len);
	free(req);
	return r;
}
