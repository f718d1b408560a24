-- Why: a notification to send is a row in this outbox, written in the same transaction as the
-- alert change that caused it, so nothing is lost between the database and the sender (issue 14).
-- The alert-dispatch Edge Function takes deliveries with the executors' lease pattern
-- (claim_deliveries: SKIP LOCKED, a lease token, an expired lease is claimable again) and reports
-- each attempt (finish_delivery, fenced by the token). Secrets are names of the dispatcher's
-- environment variables, never URLs or keys.

create table public.alert_deliveries (
    id uuid not null default pg_catalog.gen_random_uuid(),
    alert_id uuid not null,
    workspace_id uuid not null,
    tier integer not null,
    change text not null,
    target_name text not null,
    target_kind text not null,
    url_secret text not null,
    signing_secret text,
    payload jsonb not null,
    status text not null default 'pending',
    attempts integer not null default 0,
    next_attempt_at timestamptz not null,
    lease_token uuid,
    lease_expires_at timestamptz,
    dispatcher text,
    created_at timestamptz not null,
    finished_at timestamptz,
    last_error text,
    group_id uuid,
    constraint alert_deliveries_pkey primary key (id),
    constraint alert_deliveries_lease_token_key unique (lease_token),
    constraint alert_deliveries_tier_positive check (tier >= 1),
    constraint alert_deliveries_target_name_format check (target_name ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'),
    constraint alert_deliveries_target_kind_valid check (target_kind in ('webhook', 'slack')),
    constraint alert_deliveries_url_secret_format check (url_secret ~ '^[A-Z][A-Z0-9_]{0,127}$'),
    constraint alert_deliveries_signing_secret_format check (signing_secret ~ '^[A-Z][A-Z0-9_]{0,127}$'),
    constraint alert_deliveries_payload_is_object check (pg_catalog.jsonb_typeof(payload) = 'object'),
    constraint alert_deliveries_status_valid check (status in ('pending', 'leased', 'sent', 'failed', 'dead')),
    constraint alert_deliveries_attempts_not_negative check (attempts >= 0),
    constraint alert_deliveries_leased_has_lease check (
        (status = 'leased') = (lease_expires_at is not null and dispatcher is not null)
    ),
    constraint alert_deliveries_finished_iff_final check ((finished_at is not null) = (status in ('sent', 'dead'))),
    constraint alert_deliveries_last_error_length check (pg_catalog.char_length(last_error) <= 2000),
    constraint alert_deliveries_dispatcher_length check (pg_catalog.char_length(dispatcher) between 1 and 200),
    constraint alert_deliveries_alert_id_fkey foreign key (alert_id)
    references public.alerts (id) on delete cascade,
    constraint alert_deliveries_group_id_fkey foreign key (group_id)
    references public.alert_groups (id) on delete cascade
);

-- updated: a change of a notified group (an alert joined or resolved). Added to a table with rows,
-- so not valid (every existing row holds it; a later migration validates it).
alter table public.alert_deliveries add constraint alert_deliveries_change_valid
check (change in ('escalated', 'repeated', 'updated', 'resolved')) not valid;

-- The claim: an index scan in due order over deliveries waiting to be sent or retried.
create index alert_deliveries_due_idx on public.alert_deliveries (next_attempt_at)
where status in ('pending', 'failed');
-- A crashed dispatcher's deliveries: leased, lease expired.
create index alert_deliveries_leased_idx on public.alert_deliveries (lease_expires_at)
where status = 'leased';
create index alert_deliveries_alert_id_idx on public.alert_deliveries (alert_id);
create index alert_deliveries_workspace_id_idx on public.alert_deliveries (workspace_id);
create index alert_deliveries_group_id_idx on public.alert_deliveries (group_id);

comment on table public.alert_deliveries is
'Outbox of notifications: one row per group notification (tier reached, change, repeat, resolution) and target; the payload lists the group''s alerts. pending/failed -> leased (claim_deliveries) -> sent | failed (retried with backoff) | dead. Written only by the alerting functions.';
comment on column public.alert_deliveries.id is 'Delivery id; the receiver may use it to deduplicate.';
comment on column public.alert_deliveries.alert_id is 'The first alert the notification carries (firing before resolved, oldest first); payload.alerts lists them all.';
comment on column public.alert_deliveries.group_id is 'The notification group (alert_groups); null for notifications made before grouping.';
comment on column public.alert_deliveries.workspace_id is 'Workspace of the alert.';
comment on column public.alert_deliveries.tier is 'Escalation tier this notification belongs to.';
comment on column public.alert_deliveries.change is 'What is notified: escalated (the group reached a tier), updated (an alert joined or resolved), repeated (repeat_interval), resolved (every alert of the group resolved).';
comment on column public.alert_deliveries.target_name is 'Target name from the routing document.';
comment on column public.alert_deliveries.target_kind is 'webhook (generic JSON, HMAC-SHA256 signed) | slack.';
comment on column public.alert_deliveries.url_secret is 'Name of the dispatcher''s secret (environment variable) holding the URL.';
comment on column public.alert_deliveries.signing_secret is 'Name of the dispatcher''s secret holding the HMAC key (webhook), or null.';
comment on column public.alert_deliveries.payload is 'The notification body, fixed when the delivery was created.';
comment on column public.alert_deliveries.status is 'pending | leased | sent | failed (retry at next_attempt_at) | dead (attempts exhausted).';
comment on column public.alert_deliveries.attempts is 'Attempts claimed so far.';
comment on column public.alert_deliveries.next_attempt_at is 'Not claimed before this time (retry backoff).';
comment on column public.alert_deliveries.lease_token is 'Token of the latest claim; finish_delivery must present it.';
comment on column public.alert_deliveries.lease_expires_at is 'While leased: the claim expires here and the delivery is claimable again.';
comment on column public.alert_deliveries.dispatcher is 'While leased: the dispatcher holding it.';
comment on column public.alert_deliveries.created_at is 'Time the notification was due (the signal or sweep time).';
comment on column public.alert_deliveries.finished_at is 'Set when sent or dead.';
comment on column public.alert_deliveries.last_error is 'Error of the latest failed attempt.';

alter table public.alert_deliveries enable row level security;

revoke all on table public.alert_deliveries from public, anon, authenticated, service_role, controlroom_executor;
grant select on table public.alert_deliveries to authenticated, service_role;

-- Members see what was sent for their alerts; the secret names are not secret.
create policy alert_deliveries_select_members on public.alert_deliveries
for select to authenticated
using (workspace_id in (select private.member_workspace_ids((select auth.uid()), 'viewer')));
