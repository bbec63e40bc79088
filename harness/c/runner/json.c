// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include "json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct parser {
	const char *p;
	const char *error;
	struct hjson_arena *a;
};

static struct hjson *node(struct parser *ps)
{
	struct hjson_arena *a = ps->a;

	if (a->n_nodes == HJSON_ARENA_NODES) {
		ps->error = "too many values";
		return NULL;
	}
	memset(&a->nodes[a->n_nodes], 0, sizeof(a->nodes[0]));
	return &a->nodes[a->n_nodes++];
}

static void skip_ws(struct parser *ps)
{
	while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\r' || *ps->p == '\n')
		ps->p++;
}

static const char *parse_string(struct parser *ps)
{
	struct hjson_arena *a = ps->a;
	char *out = a->chars + a->n_chars;

	ps->p++; /* the opening quote */
	while (*ps->p && *ps->p != '"') {
		char c = *ps->p++;

		if (c == '\\') {
			c = *ps->p++;
			switch (c) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'u': /* only ASCII escapes are produced by the TS side */
				c = (char)strtol((char[5]){ ps->p[0], ps->p[1], ps->p[2], ps->p[3], 0 },
						 NULL, 16);
				ps->p += 4;
				break;
			default: break; /* \" \\ \/ */
			}
		}
		if (a->n_chars + 2 >= HJSON_ARENA_CHARS) {
			ps->error = "line too long";
			return NULL;
		}
		a->chars[a->n_chars++] = c;
	}
	if (*ps->p != '"') {
		ps->error = "unterminated string";
		return NULL;
	}
	ps->p++;
	a->chars[a->n_chars++] = 0;
	return out;
}

static struct hjson *parse_value(struct parser *ps);

static struct hjson *parse_container(struct parser *ps, bool object)
{
	struct hjson *v = node(ps), **tail;
	char close = object ? '}' : ']';

	if (!v)
		return NULL;
	v->type = object ? HJ_OBJECT : HJ_ARRAY;
	tail = &v->child;
	ps->p++;
	skip_ws(ps);
	if (*ps->p == close) {
		ps->p++;
		return v;
	}
	for (;;) {
		const char *key = NULL;
		struct hjson *item;

		skip_ws(ps);
		if (object) {
			if (*ps->p != '"') {
				ps->error = "expected a key";
				return NULL;
			}
			key = parse_string(ps);
			if (!key)
				return NULL;
			skip_ws(ps);
			if (*ps->p++ != ':') {
				ps->error = "expected ':'";
				return NULL;
			}
		}
		item = parse_value(ps);
		if (!item)
			return NULL;
		item->key = key;
		*tail = item;
		tail = &item->next;
		skip_ws(ps);
		if (*ps->p == ',') {
			ps->p++;
			continue;
		}
		if (*ps->p == close) {
			ps->p++;
			return v;
		}
		ps->error = object ? "expected ',' or '}'" : "expected ',' or ']'";
		return NULL;
	}
}

static struct hjson *parse_value(struct parser *ps)
{
	struct hjson *v;

	skip_ws(ps);
	switch (*ps->p) {
	case '{':
		return parse_container(ps, true);
	case '[':
		return parse_container(ps, false);
	case '"':
		v = node(ps);
		if (!v)
			return NULL;
		v->type = HJ_STRING;
		v->string = parse_string(ps);
		return v->string ? v : NULL;
	case 't':
	case 'f':
	case 'n': {
		static const char *const words[] = { "true", "false", "null" };

		for (int i = 0; i < 3; i++)
			if (!strncmp(ps->p, words[i], strlen(words[i]))) {
				v = node(ps);
				if (!v)
					return NULL;
				v->type = i == 2 ? HJ_NULL : HJ_BOOL;
				v->boolean = i == 0;
				ps->p += strlen(words[i]);
				return v;
			}
		ps->error = "bad literal";
		return NULL;
	}
	default: {
		char *end;
		double d = strtod(ps->p, &end);

		if (end == ps->p) {
			ps->error = "unexpected character";
			return NULL;
		}
		v = node(ps);
		if (!v)
			return NULL;
		v->type = HJ_NUMBER;
		v->number = d;
		ps->p = end;
		return v;
	}
	}
}

struct hjson *hjson_parse(struct hjson_arena *arena, const char *text, const char **error)
{
	struct parser ps = { text, NULL, arena };
	struct hjson *v;

	arena->n_nodes = 0;
	arena->n_chars = 0;
	v = parse_value(&ps);
	if (v) {
		skip_ws(&ps);
		if (*ps.p) {
			ps.error = "trailing characters";
			v = NULL;
		}
	}
	*error = ps.error;
	return v;
}

const struct hjson *hjson_get(const struct hjson *object, const char *key)
{
	if (!object || object->type != HJ_OBJECT)
		return NULL;
	for (const struct hjson *m = object->child; m; m = m->next)
		if (!strcmp(m->key, key))
			return m;
	return NULL;
}

long hjson_int(const struct hjson *object, const char *key, long fallback)
{
	const struct hjson *m = hjson_get(object, key);

	return m && m->type == HJ_NUMBER ? (long)m->number : fallback;
}

bool hjson_bool(const struct hjson *object, const char *key, bool fallback)
{
	const struct hjson *m = hjson_get(object, key);

	return m && m->type == HJ_BOOL ? m->boolean : fallback;
}

const char *hjson_str(const struct hjson *object, const char *key, const char *fallback)
{
	const struct hjson *m = hjson_get(object, key);

	return m && m->type == HJ_STRING ? m->string : fallback;
}

void hbuf_reset(struct hbuf *b)
{
	b->len = 0;
	if (b->text)
		b->text[0] = 0;
}

static void hbuf_reserve(struct hbuf *b, size_t more)
{
	if (b->len + more + 1 <= b->cap)
		return;
	b->cap = (b->len + more + 1) * 2;
	b->text = realloc(b->text, b->cap);
	if (!b->text) {
		fputs("harness: out of memory\n", stderr);
		exit(3);
	}
}

void hbuf_add(struct hbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	hbuf_reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->text + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void hbuf_add_string(struct hbuf *b, const char *s)
{
	hbuf_add(b, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			hbuf_add(b, "\\%c", c);
		else if (c == '\n')
			hbuf_add(b, "\\n");
		else if (c < 0x20)
			hbuf_add(b, "\\u%04x", c);
		else
			hbuf_add(b, "%c", c);
	}
	hbuf_add(b, "\"");
}

static void write_value(const struct hjson *v, struct hbuf *b)
{
	switch (v->type) {
	case HJ_NULL: hbuf_add(b, "null"); break;
	case HJ_BOOL: hbuf_add(b, v->boolean ? "true" : "false"); break;
	case HJ_NUMBER: hbuf_add(b, "%.17g", v->number); break;
	case HJ_STRING: hbuf_add_string(b, v->string); break;
	case HJ_ARRAY:
	case HJ_OBJECT:
		hbuf_add(b, v->type == HJ_OBJECT ? "{" : "[");
		for (const struct hjson *m = v->child; m; m = m->next) {
			if (m != v->child)
				hbuf_add(b, ",");
			if (v->type == HJ_OBJECT) {
				hbuf_add_string(b, m->key);
				hbuf_add(b, ":");
			}
			write_value(m, b);
		}
		hbuf_add(b, v->type == HJ_OBJECT ? "}" : "]");
		break;
	}
}

void hjson_write(const struct hjson *value, char *buf, size_t size)
{
	struct hbuf b = { 0 };

	write_value(value, &b);
	snprintf(buf, size, "%s", b.text ? b.text : "");
	free(b.text);
}
