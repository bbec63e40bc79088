/* SPDX-License-Identifier: MIT */
/* Just enough JSON for one line of the harness protocol: parse a line, build a reply. */
#ifndef HARNESS_JSON_H
#define HARNESS_JSON_H

#include <stdbool.h>
#include <stddef.h>

enum hjson_type { HJ_NULL, HJ_BOOL, HJ_NUMBER, HJ_STRING, HJ_ARRAY, HJ_OBJECT };

struct hjson {
	enum hjson_type type;
	bool boolean;
	double number;
	const char *string;     /* HJ_STRING; for members of an object, `key` names them */
	const char *key;
	struct hjson *child;    /* first element or member */
	struct hjson *next;     /* next sibling */
};

/* Where parsed values live: a parse empties its arena first. */
#define HJSON_ARENA_NODES 4096
#define HJSON_ARENA_CHARS 65536
struct hjson_arena {
	struct hjson nodes[HJSON_ARENA_NODES];
	size_t n_nodes;
	char chars[HJSON_ARENA_CHARS];
	size_t n_chars;
};

/* Parses one line into `arena`; NULL and *error set on malformed input. */
struct hjson *hjson_parse(struct hjson_arena *arena, const char *text, const char **error);
const struct hjson *hjson_get(const struct hjson *object, const char *key);
/* A member as a number/bool/string, or `fallback` when missing or of another type. */
long hjson_int(const struct hjson *object, const char *key, long fallback);
bool hjson_bool(const struct hjson *object, const char *key, bool fallback);
const char *hjson_str(const struct hjson *object, const char *key, const char *fallback);
/* Canonical text of a value (keys in input order; the TS side compares sorted). */
void hjson_write(const struct hjson *value, char *buf, size_t size);

/* A reply under construction: one JSON text, appended to in order. */
struct hbuf {
	char *text;
	size_t len, cap;
};
void hbuf_reset(struct hbuf *b);
void hbuf_add(struct hbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void hbuf_add_string(struct hbuf *b, const char *s); /* a quoted, escaped JSON string */

#endif
