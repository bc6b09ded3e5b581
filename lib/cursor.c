/*
 * cursor.c - encoding and checking keyset cursors (see cursor.h).
 *
 * The JSON inside a cursor is written with yajl and read back with the
 * same hardened parser as request bodies, and base64url is libsodium's
 * strict codec, so a forged or truncated cursor is refused rather than
 * half understood.
 */
#include <stdint.h>
#include <string.h>

#include <sodium.h>
#include <yajl/yajl_gen.h>

#include "buf.h"
#include "cursor.h"
#include "json.h"
#include "tenant.h"

#define CURSOR_VERSION		1
#define CURSOR_JSON_MAX		(CURSOR_TEXT_MAX / 4 * 3)
#define CURSOR_B64_VARIANT	sodium_base64_VARIANT_URLSAFE_NO_PADDING

/*
 * Writes the cursor of `pos` in ordering `order` (see cursor.h).  Called
 * by the list handler for "next_cursor".  Returns 0 or -1.
 */
int
cursor_encode(enum tenant_order order, const struct tenant_position *pos,
    char *out, size_t outlen)
{
	struct buf	 document;
	yajl_gen	 g = NULL;
	int		 rc = -1;

	buf_init(&document, CURSOR_JSON_MAX);
	if (!tenant_position_key_valid(order, pos->key) || pos->id <= 0)
		goto out;
	if ((g = json_gen_new()) == NULL)
		goto out;
	if (yajl_gen_map_open(g) != yajl_gen_status_ok ||
	    json_gen_kv_int(g, "v", CURSOR_VERSION) != yajl_gen_status_ok ||
	    json_gen_kv_string(g, "o", tenant_order_name(order)) !=
	    yajl_gen_status_ok ||
	    json_gen_kv_string(g, "k", pos->key) != yajl_gen_status_ok ||
	    json_gen_kv_int(g, "id", (long long)pos->id) !=
	    yajl_gen_status_ok ||
	    yajl_gen_map_close(g) != yajl_gen_status_ok ||
	    json_gen_to_buf(g, &document) == -1)
		goto out;
	if (sodium_base64_encoded_len(document.len, CURSOR_B64_VARIANT) >
	    outlen || sodium_base64_encoded_len(document.len,
	    CURSOR_B64_VARIANT) > CURSOR_TEXT_MAX + 1)
		goto out;
	sodium_bin2base64(out, outlen, (const unsigned char *)document.data,
	    document.len, CURSOR_B64_VARIANT);
	rc = 0;
out:
	if (g != NULL)
		yajl_gen_free(g);
	buf_release(&document);
	return rc;
}

/*
 * Reads a client's cursor for a request in ordering `order` (see
 * cursor.h).  Every member must be there with the right type and nothing
 * else may be.  Returns 0 with `pos` filled, or -1.
 */
int
cursor_decode(const char *text, enum tenant_order order,
    struct tenant_position *pos)
{
	unsigned char		 decoded[CURSOR_JSON_MAX + 1];
	struct json_value	*root = NULL;
	const struct json_value	*version, *ordering, *key, *id;
	char			 err[128];
	size_t			 text_len, decoded_len = 0;
	int64_t			 number;
	int			 rc = -1;

	if (text == NULL || (text_len = strlen(text)) == 0 ||
	    text_len > CURSOR_TEXT_MAX)
		return -1;
	if (sodium_base642bin(decoded, sizeof(decoded) - 1, text, text_len,
	    NULL, &decoded_len, NULL, CURSOR_B64_VARIANT) != 0 ||
	    decoded_len == 0)
		return -1;
	decoded[decoded_len] = '\0';
	if ((root = json_parse((const char *)decoded, decoded_len, err,
	    sizeof(err))) == NULL)
		return -1;
	if (root->type != JSON_OBJECT || root->count != 4)
		goto out;
	version = json_object_get(root, "v");
	ordering = json_object_get(root, "o");
	key = json_object_get(root, "k");
	id = json_object_get(root, "id");
	if (version == NULL || ordering == NULL || key == NULL || id == NULL)
		goto out;
	if (version->type != JSON_NUMBER || json_number_int64(version,
	    CURSOR_VERSION, CURSOR_VERSION, &number) == -1)
		goto out;
	if (ordering->type != JSON_STRING ||
	    strcmp(ordering->text, tenant_order_name(order)) != 0)
		goto out;
	if (key->type != JSON_STRING || strlen(key->text) != key->len ||
	    !tenant_position_key_valid(order, key->text))
		goto out;
	if (id->type != JSON_NUMBER ||
	    json_number_int64(id, 1, INT64_MAX, &number) == -1)
		goto out;
	memcpy(pos->key, key->text, key->len + 1);
	pos->id = number;
	rc = 0;
out:
	json_free(root);
	return rc;
}
