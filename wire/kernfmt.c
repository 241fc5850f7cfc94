/* SPDX-License-Identifier: MIT */
/*
 * The parsers of kernel text (kernfmt.h). They follow containerd/cgroups' readings (saturating
 * numbers, "max", skipped "Total" lines) so that the shim reports what the reference reports.
 */
#include "kernfmt.h"

#include <errno.h>
#include <string.h>

#define KF_CGROUP_ROOT "/sys/fs/cgroup"

/* ---- lines, tokens, values ---- */

const char *kf_line_next(const char *p, const char **end)
{
	const char *nl = strchr(p, '\n');
	if (!nl) {
		*end = p + strlen(p);
		return NULL;
	}
	*end = nl;
	return nl + 1;
}

static int span_eq(const char *s, size_t n, const char *c)
{
	return strlen(c) == n && memcmp(s, c, n) == 0;
}

/* Whether the sep-separated list [s, s+n) contains word. */
static int list_has(const char *s, size_t n, const char *word, char sep)
{
	const char *e = s + n;
	while (s <= e) {
		const char *t = memchr(s, sep, (size_t)(e - s));
		if (!t)
			t = e;
		if (span_eq(s, (size_t)(t - s), word))
			return 1;
		s = t + 1;
	}
	return 0;
}

static int copy_span(char *dst, size_t cap, const char *s, size_t n)
{
	if (n >= cap)
		return -ENAMETOOLONG;
	memcpy(dst, s, n);
	dst[n] = 0;
	return (int)n;
}

int kf_value(const char *s, const char *e, uint64_t max_value, uint64_t *v)
{
	uint64_t x = 0;
	int neg = 0;

	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n'))
		e--;
	if (span_eq(s, (size_t)(e - s), "max")) {
		*v = max_value;
		return 0;
	}
	if (s < e && *s == '-') {
		neg = 1;
		s++;
	}
	if (s == e)
		return -EINVAL;
	for (; s < e; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		unsigned d = (unsigned)(*s - '0');
		x = x > (UINT64_MAX - d) / 10 ? UINT64_MAX : x * 10 + d;
	}
	*v = neg ? 0 : x;
	return 0;
}

int kf_tokens(const char *s, const char *e, const char *seps, const char **tok, size_t *len,
              int max)
{
	int n = 0;
	while (s < e && n < max) {
		while (s < e && strchr(seps, *s))
			s++;
		if (s == e)
			break;
		const char *t = s;
		while (t < e && !strchr(seps, *t))
			t++;
		tok[n] = s;
		len[n++] = (size_t)(t - s);
		s = t;
	}
	return n;
}

uint32_t kf_value_list(const char *s, const char *e, uint64_t max_value, uint64_t *out,
                       uint32_t max)
{
	uint32_t n = 0;
	while (n < max) {
		const char *tok;
		size_t len;
		if (kf_tokens(s, e, " \t\n", &tok, &len, 1) != 1 ||
		    kf_value(tok, tok + len, max_value, &out[n]) < 0)
			break;
		n++;
		s = tok + len;
	}
	return n;
}

int kf_kv_fill(const char *text, const struct mt_field *t, size_t n, void *base)
{
	int hits = 0;

	for (const char *p = text, *e, *next; p && *p; p = next) {
		const char *tok[2];
		size_t len[2];

		next = kf_line_next(p, &e);
		if (kf_tokens(p, e, " \t", tok, len, 2) != 2)
			continue;
		for (size_t i = 0; i < n; i++) {
			if (t[i].key && span_eq(tok[0], len[0], t[i].key)) {
				uint64_t v;
				if (kf_value(tok[1], tok[1] + len[1], UINT64_MAX, &v) == 0) {
					*mt_field_ptr(base, &t[i]) = v;
					hits++;
				}
				break;
			}
		}
	}
	return hits;
}

int kf_kv_get(const char *text, const char *key, uint64_t *v)
{
	struct mt_field f = { 1, key, 0 };
	return kf_kv_fill(text, &f, 1, v) ? 0 : -ENOENT;
}

/* ---- mountinfo ---- */

/* The character at s[*i] of the escaped field [s, s+n), a \ooo escape decoded; advances *i. */
static char unescape_next(const char *s, size_t n, size_t *i)
{
	size_t k = *i;
	char c = s[k];
	if (c == '\\' && k + 3 < n && s[k + 1] >= '0' && s[k + 1] <= '3' && s[k + 2] >= '0' &&
	    s[k + 2] <= '7' && s[k + 3] >= '0' && s[k + 3] <= '7') {
		c = (char)((s[k + 1] - '0') << 6 | (s[k + 2] - '0') << 3 | (s[k + 3] - '0'));
		k += 3;
	}
	*i = k + 1;
	return c;
}

int kf_unescape(char *dst, size_t cap, const char *s, size_t n)
{
	size_t o = 0;

	if (cap == 0)
		return -ENAMETOOLONG;
	for (size_t i = 0; i < n;) {
		char c = unescape_next(s, n, &i);
		if (o + 1 >= cap)
			return -ENAMETOOLONG;
		dst[o++] = c;
	}
	dst[o] = 0;
	return 0;
}

/* Whether the escaped field [s, s+n) reads as the C string c. */
static int unescaped_eq(const char *s, size_t n, const char *c)
{
	size_t i = 0;
	while (i < n)
		if (!*c || unescape_next(s, n, &i) != *c++)
			return 0;
	return *c == 0;
}

/* The length of the escaped field [s, s+n) once unescaped. */
static size_t unescaped_len(const char *s, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; k++)
		(void)unescape_next(s, n, &i);
	return k;
}

/* The next space-separated field of [*s, e), or NULL; advances *s past it. */
static const char *field(const char **s, const char *e, size_t *n)
{
	const char *f = *s;
	while (f < e && *f == ' ')
		f++;
	if (f == e)
		return NULL;
	const char *t = memchr(f, ' ', (size_t)(e - f));
	if (!t)
		t = e;
	*n = (size_t)(t - f);
	*s = t;
	return f;
}

int kf_mountinfo_line(const char *s, const char *e, struct kf_mount *m)
{
	const char *f[6];
	size_t n[6];

	memset(m, 0, sizeof(*m));
	for (int i = 0; i < 6; i++) {
		if (!(f[i] = field(&s, e, &n[i]))) {
			if (i < 5)
				return -EINVAL;
			break;
		}
	}
	m->root = f[3];
	m->root_n = n[3];
	m->point = f[4];
	m->point_n = n[4];
	if (!f[5])
		return 0;
	/* The optional fields ("shared:1 master:2"), as many as there are, end at a lone "-". */
	const char *t;
	size_t tn;
	while ((t = field(&s, e, &tn)) && !span_eq(t, tn, "-"))
		;
	const char *ft, *src, *sup;
	size_t ftn, srcn, supn;
	if (!t || !(ft = field(&s, e, &ftn)) || !(src = field(&s, e, &srcn)) ||
	    !(sup = field(&s, e, &supn)))
		return 0;
	m->fstype = ft;
	m->fstype_n = ftn;
	m->source = src;
	m->source_n = srcn;
	m->super = sup;
	m->super_n = supn;
	return 0;
}

int kf_mountinfo_has(const char *text, const char *point)
{
	for (const char *p = text, *e, *next; p && *p; p = next) {
		struct kf_mount m;
		next = kf_line_next(p, &e);
		if (kf_mountinfo_line(p, e, &m) == 0 && unescaped_eq(m.point, m.point_n, point))
			return 1;
	}
	return 0;
}

/* At or under /sys/fs/cgroup: none of its characters is ever escaped, so the test holds on the
 * escaped field as on the path. */
static int under_cgroup_root(const char *s, size_t n)
{
	size_t rl = strlen(KF_CGROUP_ROOT);
	return n >= rl && memcmp(s, KF_CGROUP_ROOT, rl) == 0 && (n == rl || s[rl] == '/');
}

int kf_cgroup_mount(const char *text, const char *ctl, char *mnt, size_t mcap, char *root,
                    size_t rcap)
{
	int found = 0;

	for (const char *p = text, *e, *next; p && *p; p = next) {
		struct kf_mount m;

		next = kf_line_next(p, &e);
		if (kf_mountinfo_line(p, e, &m) < 0 || !m.super ||
		    !span_eq(m.fstype, m.fstype_n, ctl ? "cgroup" : "cgroup2"))
			continue;
		if (ctl && !list_has(m.super, m.super_n, ctl, ','))
			continue;
		int preferred = under_cgroup_root(m.point, m.point_n);
		if ((found && !preferred) || unescaped_len(m.point, m.point_n) >= mcap)
			continue;
		if (kf_unescape(root, rcap, m.root, m.root_n) < 0)
			return -ENAMETOOLONG;
		if (kf_unescape(mnt, mcap, m.point, m.point_n) < 0)
			return -ENAMETOOLONG; /* not reached: its length was checked above */
		found = 1;
		if (preferred)
			return 0;
	}
	return found ? 0 : -ENOENT;
}

/* ---- /proc/PID/cgroup, /proc/partitions ---- */

int kf_proc_cgroup(const char *text, const char *ctl, char *path, size_t cap)
{
	for (const char *p = text, *e, *next; p && *p; p = next) {
		next = kf_line_next(p, &e);
		const char *c1 = memchr(p, ':', (size_t)(e - p));
		if (!c1)
			continue;
		const char *c2 = memchr(c1 + 1, ':', (size_t)(e - c1 - 1));
		if (!c2)
			continue;
		int hit = ctl ? list_has(c1 + 1, (size_t)(c2 - c1 - 1), ctl, ',')
		              : span_eq(p, (size_t)(c1 - p), "0") && c2 == c1 + 1;
		if (hit)
			return copy_span(path, cap, c2 + 1, (size_t)(e - c2 - 1));
	}
	return -ENOENT;
}

int kf_partition(const char *text, uint64_t major, uint64_t minor, char *out, size_t cap)
{
	for (const char *p = text, *e, *next; p && *p; p = next) {
		const char *tok[4];
		size_t len[4];
		uint64_t ma, mi;

		next = kf_line_next(p, &e);
		if (kf_tokens(p, e, " \t", tok, len, 4) != 4)
			continue;
		if (kf_value(tok[0], tok[0] + len[0], 0, &ma) < 0 ||
		    kf_value(tok[1], tok[1] + len[1], 0, &mi) < 0 || ma != major || mi != minor)
			continue;
		if (len[3] + 5 >= cap)
			return -ENAMETOOLONG;
		memcpy(out, "/dev/", 5);
		memcpy(out + 5, tok[3], len[3]);
		out[5 + len[3]] = 0;
		return 0;
	}
	return -ENOENT;
}

/* ---- cgroup statistics files ---- */

void kf_blkio_v1(struct mt_v1_blkio_list *l, const char *text, const char *parts)
{
	for (const char *p = text, *e, *next; p && *p; p = next) {
		const char *tok[4];
		size_t len[4];
		struct mt_v1_blkio_entry *be;
		int n;

		next = kf_line_next(p, &e);
		n = kf_tokens(p, e, " :\t", tok, len, 4);
		if (n < 3 || l->n >= MT_MAX_BLKIO)
			continue;
		be = &l->e[l->n];
		memset(be, 0, sizeof(*be));
		if (kf_value(tok[0], tok[0] + len[0], 0, &be->major) < 0 ||
		    kf_value(tok[1], tok[1] + len[1], 0, &be->minor) < 0 ||
		    kf_value(tok[n - 1], tok[n - 1] + len[n - 1], 0, &be->value) < 0)
			continue;
		if (n == 4 && copy_span(be->op, sizeof(be->op), tok[2], len[2]) < 0)
			continue;
		if (kf_partition(parts, be->major, be->minor, be->device, sizeof(be->device)) < 0)
			be->device[0] = 0;
		l->n++;
	}
}

/* The field of an io.stat entry that key [k, k+n) names, or NULL. */
static uint64_t *io_field(struct mt_v2_io *io, const char *k, size_t n)
{
	if (span_eq(k, n, "rbytes"))
		return &io->rbytes;
	if (span_eq(k, n, "wbytes"))
		return &io->wbytes;
	if (span_eq(k, n, "rios"))
		return &io->rios;
	if (span_eq(k, n, "wios"))
		return &io->wios;
	return NULL;
}

void kf_io_stat(const char *text, struct mt_v2 *m)
{
	for (const char *p = text, *e, *next; p && *p && m->nio < MT_MAX_BLKIO; p = next) {
		const char *tok[16];
		size_t len[16];
		struct mt_v2_io *io = &m->io[m->nio];
		const char *colon;
		int n;

		next = kf_line_next(p, &e);
		n = kf_tokens(p, e, " \t", tok, len, 16);
		if (n < 1 || !(colon = memchr(tok[0], ':', len[0])))
			continue;
		memset(io, 0, sizeof(*io));
		if (kf_value(tok[0], colon, 0, &io->major) < 0 ||
		    kf_value(colon + 1, tok[0] + len[0], 0, &io->minor) < 0)
			continue;
		for (int i = 1; i < n; i++) {
			const char *eq = memchr(tok[i], '=', len[i]);
			uint64_t v, *dst;
			if (!eq || kf_value(eq + 1, tok[i] + len[i], 0, &v) < 0)
				continue;
			if ((dst = io_field(io, tok[i], (size_t)(eq - tok[i]))))
				*dst = v;
		}
		m->nio++;
	}
}

int kf_hugetlb_name(const char *name, const char *suffix, char *size, size_t cap)
{
	size_t len = strlen(name), sl = strlen(suffix);

	if (strncmp(name, "hugetlb.", 8) != 0 || len <= 8 + 1 + sl ||
	    strcmp(name + len - sl, suffix) != 0 || name[len - sl - 1] != '.')
		return -EINVAL;
	size_t zl = len - 8 - sl - 1;
	if (memchr(name + 8, '.', zl))
		return -EINVAL;
	return copy_span(size, cap, name + 8, zl) < 0 ? -ENAMETOOLONG : 0;
}
