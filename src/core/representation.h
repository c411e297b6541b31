/* The API representation of entries and timesheets, built by PostgreSQL as
 * jsonb so every door (REST, AI tools, webhook payloads) shows the same shape.
 * ENTRY_JSON needs time_entries as e joined to timesheets as t;
 * TIMESHEET_JSON needs timesheets as t and TIMESHEET_TOTALS joined in.
 * Hours are trim_scale'd: a list passes these texts through as PostgreSQL
 * prints them (core/listing.h), so 1.5 must not read 1.5000 there. */
#ifndef CORE_REPRESENTATION_H
#define CORE_REPRESENTATION_H

#define ENTRY_RUNNING "(e.started_at IS NOT NULL AND e.ended_at IS NULL)"

#define ENTRY_JSON                                                                                               \
	"jsonb_build_object('id', e.id, 'workspace_id', e.workspace_id, 'user_id', e.user_id,"                   \
	" 'entity_type', e.entity_type, 'entity_id', e.entity_id, 'project_id', e.project_id,"                   \
	" 'description', e.description, 'log_date', e.log_date::text, 'duration_seconds', e.duration_seconds,"    \
	" 'hours', trim_scale(round(coalesce(e.duration_seconds,"                                                \
	" greatest(0, floor(extract(epoch FROM now() - e.started_at))))::numeric / 3600, 4)),"                   \
	" 'started_at', wt_iso(e.started_at), 'ended_at', wt_iso(e.ended_at), 'running', " ENTRY_RUNNING ","     \
	" 'billable', e.billable, 'status', CASE WHEN " ENTRY_RUNNING " THEN 'running' ELSE t.status END,"      \
	" 'timesheet_id', e.timesheet_id, 'invoice_line_id', e.invoice_line_id,"                                 \
	" 'invoiced', e.invoice_line_id IS NOT NULL, 'hourly_rate', e.hourly_rate, 'currency', e.currency,"      \
	" 'source', e.source, 'created_at', wt_iso(e.created_at), 'updated_at', wt_iso(e.updated_at))"

#define ENTRY_FROM " FROM time_entries e JOIN timesheets t ON t.id = e.timesheet_id "

#define TIMESHEET_TOTALS                                                                                         \
	" CROSS JOIN LATERAL (SELECT coalesce(sum(x.duration_seconds), 0)::bigint AS total,"                      \
	" coalesce(sum(x.duration_seconds) FILTER (WHERE x.billable), 0)::bigint AS billable, count(*) AS n"     \
	" FROM time_entries x WHERE x.timesheet_id = t.id AND x.deleted_at IS NULL) s "

#define TIMESHEET_JSON                                                                                           \
	"jsonb_build_object('id', t.id, 'workspace_id', t.workspace_id, 'user_id', t.user_id,"                   \
	" 'user_name', (SELECT u.name FROM users u WHERE u.id = t.user_id),"                                      \
	" 'period_start', t.period_start::text, 'period_end', t.period_end::text, 'status', t.status,"           \
	" 'notes', t.notes, 'total_seconds', s.total, 'billable_seconds', s.billable,"                           \
	" 'total_hours', trim_scale(round(s.total::numeric / 3600, 4)),"                                          \
	" 'billable_hours', trim_scale(round(s.billable::numeric / 3600, 4)),"                                    \
	" 'entry_count', s.n, 'submitted_at', wt_iso(t.submitted_at), 'submitted_by', t.submitted_by,"          \
	" 'approved_at', wt_iso(t.approved_at), 'approved_by', t.approved_by,"                                   \
	" 'rejected_at', wt_iso(t.rejected_at), 'rejected_by', t.rejected_by,"                                   \
	" 'rejection_reason', t.rejection_reason, 'created_at', wt_iso(t.created_at),"                          \
	" 'updated_at', wt_iso(t.updated_at))"

#endif
