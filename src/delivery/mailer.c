#include "delivery/mailer.h"
#include "core/mail.h"

bool mailer_flush(db_t *db, const smtp_config *cfg, long *sent, long *failed, err_t *err)
{
	char since[64];
	if (!mail_flush_clock(db, since, err))
		return false;
	for (int i = 0; i < MAILER_MAX_PER_FLUSH; i++) {
		mail_claimed m;
		bool found = false;
		if (!db_begin(db, err) || !mail_claim(db, since, &m, &found, err)) {
			db_rollback(db);
			return false;
		}
		if (!found) {
			db_rollback(db);
			return true;
		}
		smtp_message msg = {
			.to = m.to, .subject = m.subject, .text = m.text, .html = m.html,
			.attachment_name = m.attachment_name, .attachment_type = m.attachment_type, .attachment = m.attachment,
		};
		err_t send_err = { 0 };
		bool ok = smtp_send(cfg, &msg, &send_err);
		bool marked = mail_mark(db, m.id, ok ? NULL : send_err.message, MAILER_MAX_ATTEMPTS, err);
		mail_claimed_free(&m);
		if (!marked || !db_commit(db, err)) {
			db_rollback(db);
			return false;
		}
		*(ok ? sent : failed) += 1;
	}
	return true;
}
