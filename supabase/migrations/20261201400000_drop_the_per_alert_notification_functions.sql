-- Why: since notifications are sent per alert group (20261201300000, private.alert_groups), nothing
-- calls the per-alert payload and outbox functions any more; two bodies that look current but are not
-- would be the first place a maintainer edits by mistake.

set lock_timeout = '5s';
set statement_timeout = '60s';

drop function private.enqueue_alert_deliveries(public.alerts, integer [], text, timestamptz);
drop function private.alert_payload(public.alerts, text, integer, timestamptz);
