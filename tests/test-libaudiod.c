/* libaudiod without a daemon: the test plays the daemon's side of a socketpair, writing the
 * lines PROTOCOL.md §1-2 prescribes (hello, replies in order, events) and reading what the
 * library sent.  replies are written before the request is made, so nothing needs a thread. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "client/audiod.h"

#define HELLO "{\"event\":\"hello\",\"server\":\"audiod\",\"version\":\"1.2.3\",\"protocol\":1," \
	      "\"sampleRate\":44100,\"channels\":6,\"quantum\":128,\"session\":\"default\"}\n"

struct fixture {
	audiod_conn *conn;
	int server;	/* the daemon's end */
};

static void server_write(int fd, const char *text)
{
	size_t len = strlen(text);

	assert_int_equal(write(fd, text, len), (ssize_t)len);
}

/* one line the client sent, without its newline, parsed */
static json_object *server_read(int fd)
{
	char line[4096];
	size_t n = 0;

	while (n < sizeof(line) - 1) {
		assert_int_equal(read(fd, line + n, 1), 1);
		if (line[n] == '\n')
			break;
		n++;
	}
	line[n] = '\0';
	return json_tokener_parse(line);
}

/* one line the client sent, with the descriptors that came along (SCM_RIGHTS) into fds */
static json_object *server_read_fds(int fd, int *fds, size_t max, size_t *n_fds)
{
	union {
		char buf[CMSG_SPACE(32 * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	char line[4096];
	size_t n = 0;
	struct cmsghdr *cm;

	*n_fds = 0;
	while (n == 0 || line[n - 1] != '\n') {
		struct iovec iov = { .iov_base = line + n, .iov_len = sizeof(line) - 1 - n };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
				      .msg_controllen = sizeof(ctl.buf) };
		ssize_t got = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);

		assert_true(got > 0);
		n += (size_t)got;
		for (cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm)) {
			size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);

			assert_int_equal(cm->cmsg_type, SCM_RIGHTS);
			assert_true(*n_fds + k <= max);
			memcpy(fds + *n_fds, CMSG_DATA(cm), k * sizeof(int));
			*n_fds += k;
		}
	}
	line[n - 1] = '\0';
	return json_tokener_parse(line);
}

/* the same file: device and inode */
static bool same_file(int a, int b)
{
	struct stat sa, sb;

	assert_int_equal(fstat(a, &sa), 0);
	assert_int_equal(fstat(b, &sb), 0);
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* a new empty file under /tmp: its path in buf, its descriptor returned */
static int temp_file(char *buf, size_t size)
{
	int fd;

	snprintf(buf, size, "/tmp/test-libaudiod-XXXXXX");
	fd = mkstemp(buf);
	assert_true(fd >= 0);
	return fd;
}

static const char *field_string(json_object *obj, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(obj, key, &v))
		return NULL;
	return json_object_get_string(v);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	audiod_error err = AUDIOD_ERR_INTERNAL;
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	f->server = sv[1];
	server_write(f->server, HELLO);
	f->conn = audiod_connect_fd(sv[0], &err);
	assert_non_null(f->conn);
	assert_int_equal(err, AUDIOD_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	audiod_disconnect(f->conn);
	close(f->server);
	free(f);
	return 0;
}

/* a connection whose first line is `first` (then the server end is closed if close_after) */
static audiod_conn *connect_with(const char *first, bool close_after, audiod_error *err)
{
	audiod_conn *conn;
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	if (first != NULL)
		server_write(sv[1], first);
	if (close_after) {
		close(sv[1]);
		sv[1] = -1;
	}
	conn = audiod_connect_fd(sv[0], err);
	if (sv[1] >= 0)
		close(sv[1]);
	return conn;
}

static void hello_fields_are_exposed(void **state)
{
	struct fixture *f = *state;
	json_object *v;

	assert_int_equal(audiod_sample_rate(f->conn), 44100);
	assert_int_equal(audiod_channels(f->conn), 6);
	assert_int_equal(audiod_quantum(f->conn), 128);
	assert_string_equal(audiod_server_version(f->conn), "1.2.3");
	assert_string_equal(audiod_session_name(f->conn), "default");
	assert_true(json_object_object_get_ex(audiod_hello(f->conn), "protocol", &v));
	assert_int_equal(json_object_get_int(v), 1);
}

static void forbidden_first_line_refuses_the_connection(void **state)
{
	audiod_error err = AUDIOD_OK;

	assert_null(connect_with("{\"id\":null,\"ok\":false,\"error\":{\"code\":\"forbidden\","
				 "\"message\":\"uid 1000 is not ours\"}}\n", true, &err));
	assert_int_equal(err, AUDIOD_ERR_FORBIDDEN);
}

static void first_line_other_than_hello_is_a_protocol_error(void **state)
{
	audiod_error err = AUDIOD_OK;

	assert_null(connect_with("{\"event\":\"ended\",\"id\":\"x\"}\n", false, &err));
	assert_int_equal(err, AUDIOD_ERR_PROTOCOL);
	assert_null(connect_with("HTTP/1.1 400 Bad Request\n", false, &err));
	assert_int_equal(err, AUDIOD_ERR_PROTOCOL);
}

static void closing_before_hello_is_disconnected(void **state)
{
	audiod_error err = AUDIOD_OK;

	assert_null(connect_with(NULL, true, &err));
	assert_int_equal(err, AUDIOD_ERR_DISCONNECTED);
}

static void request_without_id_gets_one_and_its_reply(void **state)
{
	struct fixture *f = *state;
	json_object *req = json_tokener_parse("{\"op\":\"time\"}"), *reply, *sent, *v;

	server_write(f->server, "{\"id\":1,\"ok\":true,\"currentTime\":2.5}\n");
	assert_int_equal(audiod_request(f->conn, req, &reply), AUDIOD_OK);
	assert_true(json_object_object_get_ex(reply, "currentTime", &v));
	assert_true(json_object_get_double(v) == 2.5);
	sent = server_read(f->server);
	assert_string_equal(field_string(sent, "op"), "time");
	assert_true(json_object_object_get_ex(sent, "id", &v));
	assert_int_equal(json_object_get_int(v), 1);
	assert_string_equal(audiod_error_message(f->conn), "");
	json_object_put(sent);
	json_object_put(reply);
	json_object_put(req);
}

static void callers_id_is_kept_and_matched(void **state)
{
	struct fixture *f = *state;
	json_object *reply, *sent;

	server_write(f->server, "{\"id\":\"mine\",\"ok\":true}\n");
	assert_int_equal(audiod_request_text(f->conn, "{\"op\":\"sync\",\"id\":\"mine\"}", &reply),
			 AUDIOD_OK);
	sent = server_read(f->server);
	assert_string_equal(field_string(sent, "id"), "mine");
	assert_string_equal(field_string(reply, "id"), "mine");
	json_object_put(sent);
	json_object_put(reply);
}

static void reply_with_another_id_is_a_protocol_error(void **state)
{
	struct fixture *f = *state;
	json_object *reply = (json_object *)1;

	server_write(f->server, "{\"id\":7,\"ok\":true}\n");
	assert_int_equal(audiod_request_text(f->conn, "{\"op\":\"time\"}", &reply),
			 AUDIOD_ERR_PROTOCOL);
	assert_null(reply);
}

static void reply_without_id_belongs_to_the_oldest_request(void **state)
{
	struct fixture *f = *state;

	/* too_large and parse_error replies cannot echo an id */
	server_write(f->server, "{\"ok\":false,\"error\":{\"code\":\"too_large\","
				"\"message\":\"line longer than 16777216 bytes\"}}\n");
	assert_int_equal(audiod_request_text(f->conn, "{\"op\":\"time\"}", NULL),
			 AUDIOD_ERR_TOO_LARGE);
	assert_string_equal(audiod_error_message(f->conn), "line longer than 16777216 bytes");
}

static void failure_reply_maps_code_and_message(void **state)
{
	struct fixture *f = *state;
	json_object *reply, *err, *v;

	server_write(f->server, "{\"id\":\"osc\",\"ok\":false,\"error\":{\"code\":\"unknown_node\","
				"\"message\":\"id: no node \\\"osc\\\" (did you mean \\\"os\\\"?)\","
				"\"index\":0}}\n");
	assert_int_equal(audiod_request_text(f->conn, "{\"op\":\"delete\",\"id\":\"osc\"}", &reply),
			 AUDIOD_ERR_UNKNOWN_NODE);
	assert_string_equal(audiod_error_message(f->conn),
			    "id: no node \"osc\" (did you mean \"os\"?)");
	/* the whole reply is still there, for fields like index */
	assert_true(json_object_object_get_ex(reply, "error", &err));
	assert_true(json_object_object_get_ex(err, "index", &v));
	json_object_put(reply);
}

static void unknown_error_code_is_unknown_not_a_guess(void **state)
{
	struct fixture *f = *state;

	server_write(f->server, "{\"id\":1,\"ok\":false,\"error\":{\"code\":\"quota_v2\","
				"\"message\":\"m\"}}\n");
	assert_int_equal(audiod_request_text(f->conn, "{\"op\":\"time\"}", NULL),
			 AUDIOD_ERR_UNKNOWN);
}

static void events_before_a_reply_are_queued_in_order(void **state)
{
	struct fixture *f = *state;
	json_object *ev;

	server_write(f->server, "{\"event\":\"ended\",\"session\":\"default\",\"id\":\"a\","
				"\"time\":1.0}\n"
				"{\"event\":\"xrun\"}\n"
				"{\"id\":1,\"ok\":true}\n");
	assert_int_equal(audiod_request_text(f->conn, "{\"op\":\"sync\"}", NULL), AUDIOD_OK);
	assert_int_equal(audiod_next_event(f->conn, 0, &ev), AUDIOD_OK);
	assert_string_equal(field_string(ev, "event"), "ended");
	assert_string_equal(field_string(ev, "id"), "a");
	json_object_put(ev);
	assert_int_equal(audiod_next_event(f->conn, 0, &ev), AUDIOD_OK);
	assert_string_equal(field_string(ev, "event"), "xrun");
	json_object_put(ev);
	assert_int_equal(audiod_next_event(f->conn, 0, &ev), AUDIOD_ERR_TIMEOUT);
	assert_null(ev);
}

static void next_event_times_out_when_nothing_comes(void **state)
{
	struct fixture *f = *state;
	json_object *ev;

	assert_int_equal(audiod_next_event(f->conn, 20, &ev), AUDIOD_ERR_TIMEOUT);
	assert_null(ev);
}

static void event_split_across_writes_is_one_event(void **state)
{
	struct fixture *f = *state;
	json_object *ev;

	server_write(f->server, "{\"event\":\"me");
	assert_int_equal(audiod_next_event(f->conn, 0, &ev), AUDIOD_ERR_TIMEOUT);
	server_write(f->server, "ter\",\"sessions\":{}}\n");
	assert_int_equal(audiod_next_event(f->conn, 1000, &ev), AUDIOD_OK);
	assert_string_equal(field_string(ev, "event"), "meter");
	json_object_put(ev);
}

static void event_with_ok_key_is_a_reply_not_an_event(void **state)
{
	struct fixture *f = *state;
	json_object *ev, *reply;

	/* PROTOCOL.md: events have an "event" key and no "ok" key */
	server_write(f->server, "{\"id\":1,\"ok\":true,\"event\":\"x\"}\n");
	assert_int_equal(audiod_request_text(f->conn, "{\"op\":\"time\"}", &reply), AUDIOD_OK);
	json_object_put(reply);
	assert_int_equal(audiod_next_event(f->conn, 0, &ev), AUDIOD_ERR_TIMEOUT);
}

static void pipelined_replies_are_collected_in_request_order(void **state)
{
	struct fixture *f = *state;
	json_object *req, *reply, *v;
	int i;

	server_write(f->server, "{\"id\":1,\"ok\":true,\"n\":10}\n{\"event\":\"xrun\"}\n"
				"{\"id\":2,\"ok\":false,\"error\":{\"code\":\"busy\",\"message\":\"b\"}}\n"
				"{\"id\":3,\"ok\":true,\"n\":30}\n");
	for (i = 0; i < 3; i++) {
		req = json_tokener_parse("{\"op\":\"time\"}");
		assert_int_equal(audiod_send(f->conn, req), AUDIOD_OK);
		json_object_put(req);
	}
	assert_int_equal(audiod_pending(f->conn), 3);
	assert_int_equal(audiod_recv_reply(f->conn, &reply), AUDIOD_OK);
	assert_true(json_object_object_get_ex(reply, "n", &v));
	assert_int_equal(json_object_get_int(v), 10);
	json_object_put(reply);
	assert_int_equal(audiod_recv_reply(f->conn, &reply), AUDIOD_ERR_BUSY);
	json_object_put(reply);
	assert_int_equal(audiod_recv_reply(f->conn, &reply), AUDIOD_OK);
	assert_true(json_object_object_get_ex(reply, "n", &v));
	assert_int_equal(json_object_get_int(v), 30);
	json_object_put(reply);
	assert_int_equal(audiod_pending(f->conn), 0);
	assert_int_equal(audiod_next_event(f->conn, 0, &reply), AUDIOD_OK);
	json_object_put(reply);
}

static void request_after_send_leaves_the_earlier_reply_for_recv(void **state)
{
	struct fixture *f = *state;
	json_object *req = json_tokener_parse("{\"op\":\"stats\"}"), *reply, *v;

	server_write(f->server, "{\"id\":1,\"ok\":true,\"which\":\"stats\"}\n"
				"{\"id\":2,\"ok\":true,\"which\":\"time\"}\n");
	assert_int_equal(audiod_send(f->conn, req), AUDIOD_OK);
	assert_int_equal(audiod_request_text(f->conn, "{\"op\":\"time\"}", &reply), AUDIOD_OK);
	assert_true(json_object_object_get_ex(reply, "which", &v));
	assert_string_equal(json_object_get_string(v), "time");
	json_object_put(reply);
	assert_int_equal(audiod_recv_reply(f->conn, &reply), AUDIOD_OK);
	assert_true(json_object_object_get_ex(reply, "which", &v));
	assert_string_equal(json_object_get_string(v), "stats");
	json_object_put(reply);
	json_object_put(req);
}

static void recv_reply_with_nothing_sent_fails_at_once(void **state)
{
	struct fixture *f = *state;
	json_object *reply;

	assert_int_equal(audiod_recv_reply(f->conn, &reply), AUDIOD_ERR_PROTOCOL);
	assert_null(reply);
}

static void timed_out_request_drops_its_late_reply(void **state)
{
	struct fixture *f = *state;
	json_object *reply, *v;

	audiod_set_timeout(f->conn, 10);
	assert_int_equal(audiod_request_text(f->conn, "{\"op\":\"time\"}", NULL),
			 AUDIOD_ERR_TIMEOUT);
	/* the late reply to 1 must not be taken for the reply to 2 */
	server_write(f->server, "{\"id\":1,\"ok\":true,\"late\":true}\n{\"id\":2,\"ok\":true}\n");
	assert_int_equal(audiod_request_text(f->conn, "{\"op\":\"time\"}", &reply), AUDIOD_OK);
	assert_false(json_object_object_get_ex(reply, "late", &v));
	json_object_put(reply);
}

static void daemon_closing_mid_request_is_disconnected(void **state)
{
	struct fixture *f = *state;

	shutdown(f->server, SHUT_WR);
	assert_int_equal(audiod_request_text(f->conn, "{\"op\":\"time\"}", NULL),
			 AUDIOD_ERR_DISCONNECTED);
}

static void text_request_that_is_not_an_object_is_refused_locally(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(audiod_request_text(f->conn, "[1,2]", NULL), AUDIOD_ERR_PARSE);
	assert_int_equal(audiod_request_text(f->conn, "{\"op\":\"time\"} junk", NULL),
			 AUDIOD_ERR_PARSE);
}

static void create_helper_sends_type_id_and_options(void **state)
{
	struct fixture *f = *state;
	json_object *sent, *opts, *v;

	server_write(f->server, "{\"id\":\"osc\",\"ok\":true}\n");
	assert_int_equal(audiod_create(f->conn, "OscillatorNode", "osc",
				       "{\"frequency\":440,\"type\":\"square\"}"), AUDIOD_OK);
	sent = server_read(f->server);
	assert_string_equal(field_string(sent, "op"), "create");
	assert_string_equal(field_string(sent, "type"), "OscillatorNode");
	assert_string_equal(field_string(sent, "id"), "osc");
	assert_true(json_object_object_get_ex(sent, "options", &opts));
	assert_true(json_object_object_get_ex(opts, "frequency", &v));
	assert_int_equal(json_object_get_int(v), 440);
	assert_string_equal(field_string(opts, "type"), "square");
	json_object_put(sent);
}

static void create_without_name_sends_no_id_and_takes_the_assigned_one(void **state)
{
	struct fixture *f = *state;
	json_object *req = json_tokener_parse("{\"op\":\"create\",\"type\":\"GainNode\"}");
	json_object *reply, *sent;

	/* an id of ours would name the node: the daemon assigns one and echoes it */
	server_write(f->server, "{\"id\":\"GainNode1\",\"ok\":true}\n");
	assert_int_equal(audiod_request(f->conn, req, &reply), AUDIOD_OK);
	assert_string_equal(field_string(reply, "id"), "GainNode1");
	sent = server_read(f->server);
	assert_false(json_object_object_get_ex(sent, "id", NULL));
	json_object_put(sent);
	json_object_put(reply);
	json_object_put(req);
}

static void create_helper_with_bad_options_sends_nothing(void **state)
{
	struct fixture *f = *state;
	json_object *ev;

	assert_int_equal(audiod_create(f->conn, "GainNode", "g", "{gain: 2}"), AUDIOD_ERR_PARSE);
	assert_int_equal(audiod_create(f->conn, "GainNode", "g", "{} {}"), AUDIOD_ERR_PARSE);
	assert_int_equal(audiod_pending(f->conn), 0);
	/* the connection is still in step: the next reply is id 1's */
	server_write(f->server, "{\"id\":1,\"ok\":true}\n");
	assert_int_equal(audiod_sync(f->conn, NULL), AUDIOD_OK);
	assert_int_equal(audiod_next_event(f->conn, 0, &ev), AUDIOD_ERR_TIMEOUT);
}

static void param_helper_sends_numbers_as_args(void **state)
{
	struct fixture *f = *state;
	json_object *sent, *args;

	server_write(f->server, "{\"id\":1,\"ok\":true}\n");
	assert_int_equal(audiod_param(f->conn, "g.gain", "linearRampToValueAtTime", 2, 0.0, 2.5),
			 AUDIOD_OK);
	sent = server_read(f->server);
	assert_string_equal(field_string(sent, "target"), "g.gain");
	assert_string_equal(field_string(sent, "method"), "linearRampToValueAtTime");
	assert_true(json_object_object_get_ex(sent, "args", &args));
	assert_int_equal(json_object_array_length(args), 2);
	assert_true(json_object_get_double(json_object_array_get_idx(args, 0)) == 0.0);
	assert_true(json_object_get_double(json_object_array_get_idx(args, 1)) == 2.5);
	json_object_put(sent);
}

static void connect_helper_leaves_out_negative_output_and_input(void **state)
{
	struct fixture *f = *state;
	json_object *sent, *v;

	server_write(f->server, "{\"id\":1,\"ok\":true}\n{\"id\":2,\"ok\":true}\n");
	assert_int_equal(audiod_node_connect(f->conn, "lfo", "g.gain", -1, -1), AUDIOD_OK);
	sent = server_read(f->server);
	assert_string_equal(field_string(sent, "to"), "g.gain");
	assert_false(json_object_object_get_ex(sent, "output", NULL));
	assert_false(json_object_object_get_ex(sent, "input", NULL));
	json_object_put(sent);
	assert_int_equal(audiod_node_disconnect(f->conn, "split", NULL, 1, -1), AUDIOD_OK);
	sent = server_read(f->server);
	assert_string_equal(field_string(sent, "op"), "disconnect");
	assert_false(json_object_object_get_ex(sent, "to", NULL));
	assert_true(json_object_object_get_ex(sent, "output", &v));
	assert_int_equal(json_object_get_int(v), 1);
	json_object_put(sent);
}

static void start_buffer_with_nan_duration_leaves_it_out(void **state)
{
	struct fixture *f = *state;
	json_object *sent, *v;

	server_write(f->server, "{\"id\":\"src\",\"ok\":true}\n");
	assert_int_equal(audiod_start_buffer(f->conn, "src", 1.5, 0.25, NAN), AUDIOD_OK);
	sent = server_read(f->server);
	assert_true(json_object_object_get_ex(sent, "when", &v));
	assert_true(json_object_get_double(v) == 1.5);
	assert_true(json_object_object_get_ex(sent, "offset", &v));
	assert_true(json_object_get_double(v) == 0.25);
	assert_false(json_object_object_get_ex(sent, "duration", NULL));
	json_object_put(sent);
}

static void session_helper_updates_the_session_name(void **state)
{
	struct fixture *f = *state;
	json_object *sent, *v;

	server_write(f->server, "{\"id\":1,\"ok\":true}\n");
	assert_int_equal(audiod_session(f->conn, "game", true), AUDIOD_OK);
	assert_string_equal(audiod_session_name(f->conn), "game");
	sent = server_read(f->server);
	assert_string_equal(field_string(sent, "op"), "session");
	assert_true(json_object_object_get_ex(sent, "ephemeral", &v));
	assert_true(json_object_get_boolean(v));
	json_object_put(sent);
}

static void sync_and_time_helpers_read_their_fields(void **state)
{
	struct fixture *f = *state;
	uint64_t frame = 0;
	double t = 0;

	server_write(f->server, "{\"id\":1,\"ok\":true,\"frame\":96000}\n"
				"{\"id\":2,\"ok\":true,\"currentTime\":2.0,\"frame\":96000}\n");
	assert_int_equal(audiod_sync(f->conn, &frame), AUDIOD_OK);
	assert_int_equal(frame, 96000);
	assert_int_equal(audiod_time(f->conn, &t), AUDIOD_OK);
	assert_true(t == 2.0);
}

static void save_helper_returns_the_document(void **state)
{
	struct fixture *f = *state;
	json_object *doc, *v;

	server_write(f->server, "{\"id\":1,\"ok\":true,\"document\":{\"sampleRate\":44100,"
				"\"nodes\":[]}}\n");
	assert_int_equal(audiod_save(f->conn, &doc), AUDIOD_OK);
	assert_true(json_object_object_get_ex(doc, "sampleRate", &v));
	assert_int_equal(json_object_get_int(v), 44100);
	json_object_put(doc);
}

static void request_with_descriptors_sends_them_with_its_line(void **state)
{
	struct fixture *f = *state;
	json_object *req = json_tokener_parse("{\"op\":\"buffer\",\"name\":\"b\","
					      "\"spec\":{\"fd\":1}}"), *sent;
	char path[64];
	int mine[2], got[4];
	size_t n;

	mine[0] = temp_file(path, sizeof(path));
	unlink(path);
	mine[1] = temp_file(path, sizeof(path));
	unlink(path);
	server_write(f->server, "{\"id\":1,\"ok\":true}\n");
	assert_int_equal(audiod_request_fds(f->conn, req, mine, 2, NULL), AUDIOD_OK);
	sent = server_read_fds(f->server, got, 4, &n);
	assert_string_equal(field_string(sent, "op"), "buffer");
	assert_int_equal(n, 2);
	assert_true(same_file(got[0], mine[0]));
	assert_true(same_file(got[1], mine[1]));
	/* the caller's stay open: the daemon got copies */
	assert_true(fcntl(mine[0], F_GETFD) >= 0);
	for (int i = 0; i < 2; i++) {
		close(got[i]);
		close(mine[i]);
	}
	json_object_put(sent);
	json_object_put(req);
}

static void request_with_more_descriptors_than_the_daemon_keeps_sends_nothing(void **state)
{
	struct fixture *f = *state;
	json_object *req = json_tokener_parse("{\"op\":\"time\"}");
	int fds[AUDIOD_FDS_MAX + 1];
	char c;

	for (int i = 0; i <= AUDIOD_FDS_MAX; i++)
		fds[i] = 0;
	assert_int_equal(audiod_request_fds(f->conn, req, fds, AUDIOD_FDS_MAX + 1, NULL),
			 AUDIOD_ERR_LIMIT);
	assert_string_equal(audiod_error_message(f->conn),
			    "17 descriptors: a request carries at most 16");
	assert_int_equal(recv(f->server, &c, 1, MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
	json_object_put(req);
}

static void buffer_file_sends_the_open_file_not_its_path(void **state)
{
	struct fixture *f = *state;
	json_object *sent, *spec;
	char path[64];
	int mine = temp_file(path, sizeof(path)), got[2];
	size_t n;

	server_write(f->server, "{\"id\":1,\"ok\":true}\n");
	assert_int_equal(audiod_buffer_file(f->conn, "b", path, true), AUDIOD_OK);
	sent = server_read_fds(f->server, got, 2, &n);
	assert_int_equal(n, 1);
	assert_true(same_file(got[0], mine));
	assert_true(json_object_object_get_ex(sent, "spec", &spec));
	assert_string_equal(json_object_to_json_string_ext(spec, JSON_C_TO_STRING_PLAIN),
			    "{\"fd\":0,\"resample\":true}");
	assert_null(strstr(json_object_to_json_string(sent), path));
	close(got[0]);
	close(mine);
	unlink(path);
	json_object_put(sent);
}

static void buffer_file_that_cannot_be_opened_fails_without_sending(void **state)
{
	struct fixture *f = *state;
	char c;

	assert_int_equal(audiod_buffer_file(f->conn, "b", "/nonexistent/x.wav", false),
			 AUDIOD_ERR_SYSTEM);
	assert_int_equal(errno, ENOENT);
	assert_string_equal(audiod_error_message(f->conn),
			    "/nonexistent/x.wav: No such file or directory");
	assert_int_equal(recv(f->server, &c, 1, MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
}

static void subscribe_helper_sends_the_event_list(void **state)
{
	struct fixture *f = *state;
	const char *const events[] = { "ended", "meter", NULL };
	json_object *sent, *list;

	server_write(f->server, "{\"id\":1,\"ok\":true}\n");
	assert_int_equal(audiod_subscribe(f->conn, events), AUDIOD_OK);
	sent = server_read(f->server);
	assert_true(json_object_object_get_ex(sent, "events", &list));
	assert_int_equal(json_object_array_length(list), 2);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(list, 1)), "meter");
	json_object_put(sent);
}

static void error_codes_map_both_ways(void **state)
{
	static const struct { const char *code; audiod_error err; } codes[] = {
		{ "parse_error", AUDIOD_ERR_PARSE }, { "too_large", AUDIOD_ERR_TOO_LARGE },
		{ "bad_request", AUDIOD_ERR_BAD_REQUEST }, { "unknown_op", AUDIOD_ERR_UNKNOWN_OP },
		{ "unknown_type", AUDIOD_ERR_UNKNOWN_TYPE },
		{ "unknown_node", AUDIOD_ERR_UNKNOWN_NODE },
		{ "unknown_param", AUDIOD_ERR_UNKNOWN_PARAM },
		{ "unknown_attr", AUDIOD_ERR_UNKNOWN_ATTR },
		{ "invalid_value", AUDIOD_ERR_INVALID_VALUE }, { "index_size", AUDIOD_ERR_INDEX_SIZE },
		{ "invalid_state", AUDIOD_ERR_INVALID_STATE },
		{ "not_supported", AUDIOD_ERR_NOT_SUPPORTED }, { "cycle", AUDIOD_ERR_CYCLE },
		{ "busy", AUDIOD_ERR_BUSY }, { "limit", AUDIOD_ERR_LIMIT }, { "io", AUDIOD_ERR_IO },
		{ "forbidden", AUDIOD_ERR_FORBIDDEN }, { "internal", AUDIOD_ERR_INTERNAL },
	};
	size_t i;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		assert_int_equal(audiod_error_from_name(codes[i].code), codes[i].err);
		assert_string_equal(audiod_error_name(codes[i].err), codes[i].code);
	}
	assert_int_equal(audiod_error_from_name("nope"), AUDIOD_ERR_UNKNOWN);
	assert_int_equal(audiod_error_from_name(NULL), AUDIOD_ERR_UNKNOWN);
	/* client-side names are not codes a daemon can send */
	assert_int_equal(audiod_error_from_name("timeout"), AUDIOD_ERR_UNKNOWN);
	assert_string_equal(audiod_error_name(AUDIOD_OK), "ok");
	assert_string_equal(audiod_error_name(AUDIOD_ERR_DISCONNECTED), "disconnected");
	assert_string_equal(audiod_error_name(AUDIOD_ERR_SYSTEM), "system");
}

static void socket_path_prefers_audiod_socket(void **state)
{
	char buf[256];

	setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
	setenv("AUDIOD_SOCKET", "/tmp/other.sock", 1);
	assert_int_equal(audiod_socket_path(buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/tmp/other.sock");
}

static void socket_path_falls_back_to_runtime_dir(void **state)
{
	char buf[256];

	unsetenv("AUDIOD_SOCKET");
	setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
	assert_int_equal(audiod_socket_path(buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/run/user/1000/audiod/socket");
	/* an empty override is no override */
	setenv("AUDIOD_SOCKET", "", 1);
	assert_int_equal(audiod_socket_path(buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/run/user/1000/audiod/socket");
}

static void socket_path_without_either_variable_is_enoent(void **state)
{
	char buf[256];

	unsetenv("AUDIOD_SOCKET");
	unsetenv("XDG_RUNTIME_DIR");
	assert_int_equal(audiod_socket_path(buf, sizeof(buf)), -ENOENT);
}

static void socket_path_too_long_for_sockaddr_is_refused(void **state)
{
	char buf[512], longpath[200];

	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	setenv("AUDIOD_SOCKET", longpath, 1);
	assert_int_equal(audiod_socket_path(buf, sizeof(buf)), -ENAMETOOLONG);
	setenv("AUDIOD_SOCKET", "/tmp/x.sock", 1);
	assert_int_equal(audiod_socket_path(buf, 5), -ENAMETOOLONG);
	unsetenv("AUDIOD_SOCKET");
}

static void connect_to_missing_socket_is_system_enoent(void **state)
{
	audiod_error err = AUDIOD_OK;

	assert_null(audiod_connect("/nonexistent-dir-audiod/socket", &err));
	assert_int_equal(err, AUDIOD_ERR_SYSTEM);
	assert_int_equal(errno, ENOENT);
}

static void connect_by_path_reads_hello_from_a_listening_socket(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	audiod_error err = AUDIOD_ERR_INTERNAL;
	audiod_conn *conn;
	char dir[] = "/tmp/test-libaudiod.XXXXXX";
	int lfd, cfd, status;
	pid_t pid;

	assert_non_null(mkdtemp(dir));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/socket", dir);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	pid = fork();
	if (pid == 0) {
		cfd = accept(lfd, NULL, NULL);
		if (cfd < 0 || write(cfd, HELLO, strlen(HELLO)) != (ssize_t)strlen(HELLO))
			_exit(1);
		_exit(0);
	}
	setenv("AUDIOD_SOCKET", sa.sun_path, 1);
	conn = audiod_connect(NULL, &err);
	unsetenv("AUDIOD_SOCKET");
	assert_int_equal(err, AUDIOD_OK);
	assert_non_null(conn);
	assert_int_equal(audiod_sample_rate(conn), 44100);
	audiod_disconnect(conn);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(status, 0);
	close(lfd);
	unlink(sa.sun_path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(hello_fields_are_exposed, setup, teardown),
		cmocka_unit_test(forbidden_first_line_refuses_the_connection),
		cmocka_unit_test(first_line_other_than_hello_is_a_protocol_error),
		cmocka_unit_test(closing_before_hello_is_disconnected),
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(request_without_id_gets_one_and_its_reply),
		T(callers_id_is_kept_and_matched),
		T(reply_with_another_id_is_a_protocol_error),
		T(reply_without_id_belongs_to_the_oldest_request),
		T(failure_reply_maps_code_and_message),
		T(unknown_error_code_is_unknown_not_a_guess),
		T(events_before_a_reply_are_queued_in_order),
		T(next_event_times_out_when_nothing_comes),
		T(event_split_across_writes_is_one_event),
		T(event_with_ok_key_is_a_reply_not_an_event),
		T(pipelined_replies_are_collected_in_request_order),
		T(request_after_send_leaves_the_earlier_reply_for_recv),
		T(recv_reply_with_nothing_sent_fails_at_once),
		T(timed_out_request_drops_its_late_reply),
		T(daemon_closing_mid_request_is_disconnected),
		T(text_request_that_is_not_an_object_is_refused_locally),
		T(create_helper_sends_type_id_and_options),
		T(create_without_name_sends_no_id_and_takes_the_assigned_one),
		T(create_helper_with_bad_options_sends_nothing),
		T(param_helper_sends_numbers_as_args),
		T(connect_helper_leaves_out_negative_output_and_input),
		T(start_buffer_with_nan_duration_leaves_it_out),
		T(session_helper_updates_the_session_name),
		T(sync_and_time_helpers_read_their_fields),
		T(save_helper_returns_the_document),
		T(subscribe_helper_sends_the_event_list),
		T(request_with_descriptors_sends_them_with_its_line),
		T(request_with_more_descriptors_than_the_daemon_keeps_sends_nothing),
		T(buffer_file_sends_the_open_file_not_its_path),
		T(buffer_file_that_cannot_be_opened_fails_without_sending),
#undef T
		cmocka_unit_test(error_codes_map_both_ways),
		cmocka_unit_test(socket_path_prefers_audiod_socket),
		cmocka_unit_test(socket_path_falls_back_to_runtime_dir),
		cmocka_unit_test(socket_path_without_either_variable_is_enoent),
		cmocka_unit_test(socket_path_too_long_for_sockaddr_is_refused),
		cmocka_unit_test(connect_to_missing_socket_is_system_enoent),
		cmocka_unit_test(connect_by_path_reads_hello_from_a_listening_socket),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
