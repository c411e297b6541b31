#include "core/tx.h"

json_t *core_commit(core_ctx *c, json_t *out, err_t *err)
{
	if (!err_any(err) && out && db_commit(c->db, err))
		return out;
	if (!err_any(err))
		err_set(err, ERR_INTERNAL, "internal_error", "internal error");
	db_rollback(c->db);
	json_decref(out);
	return NULL;
}
