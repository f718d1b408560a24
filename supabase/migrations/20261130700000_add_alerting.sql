-- Why: issue 14, alerting in the database. Routing documents are published per workspace as
-- immutable versions (publish_routes); signals (alert_signals) become alerts on the routes that take
-- them (first match, continue, group_by), with silences, inhibition, an open -> acknowledged ->
-- resolved state machine audited in alert_changes, tiered escalation (claim_deliveries and the alert
-- sweep) and an outbox (alert_deliveries) that the alert-dispatch Edge Function drains with the
-- executors' lease pattern (claim_deliveries, finish_delivery). This migration creates the tables
-- and the RPCs; the signal triggers and the sweep follow in the next migrations.

set lock_timeout = '5s';
set statement_timeout = '60s';

-- Why: the routing matrix lives in Git (specs/routing/*.yaml) and is published per workspace as
-- immutable, numbered versions (issue 14), like pipeline specs: the version an alert was routed
-- with stays readable, and publishing the same content again changes nothing. The newest version
-- of a workspace is the one signals are routed by.

create table public.alert_route_versions (
    id uuid not null default pg_catalog.gen_random_uuid(),
    workspace_id uuid not null,
    version integer not null,
    routes_hash text not null,
    body jsonb not null,
    published_by text not null,
    published_at timestamptz not null,
    constraint alert_route_versions_pkey primary key (id),
    constraint alert_route_versions_workspace_id_version_key unique (workspace_id, version),
    constraint alert_route_versions_version_positive check (version >= 1),
    constraint alert_route_versions_routes_hash_format check (routes_hash ~ '^[0-9a-f]{64}$'),
    constraint alert_route_versions_body_is_object check (pg_catalog.jsonb_typeof(body) = 'object'),
    constraint alert_route_versions_workspace_id_fkey foreign key (workspace_id)
    references public.workspaces (id) on delete cascade
);

comment on table public.alert_route_versions is
'Immutable published versions of a workspace''s routing matrix (publish_routes): routes, inhibit_rules, targets and defaults as JSON. The highest version is current. UPDATE and DELETE raise; only the purge of the workspace removes rows.';
comment on column public.alert_route_versions.id is 'Version id; alerts name the version they were routed with.';
comment on column public.alert_route_versions.workspace_id is 'Owning workspace.';
comment on column public.alert_route_versions.version is 'Version number per workspace, 1, 2, …; the highest is current.';
comment on column public.alert_route_versions.routes_hash is 'SHA-256 of the canonical JSON of body: the same content is the same hash.';
comment on column public.alert_route_versions.body is 'The routing document: {routes, inhibit_rules, targets, defaults} (docs/alerting.md).';
comment on column public.alert_route_versions.published_by is 'Actor that published it: user:<uuid> or service_role.';
comment on column public.alert_route_versions.published_at is 'Publication time.';

alter table public.alert_route_versions enable row level security;

revoke all on table public.alert_route_versions from public, anon, authenticated, service_role, controlroom_executor;
grant select on table public.alert_route_versions to authenticated, service_role;

create policy alert_route_versions_select_members on public.alert_route_versions
for select to authenticated
using (workspace_id in (select private.member_workspace_ids((select auth.uid()), 'viewer')));

create trigger alert_route_versions_immutable
before update or delete on public.alert_route_versions
for each statement execute function private.reject_table_change('alert_route_versions are immutable.');

create trigger alert_route_versions_no_truncate
before truncate on public.alert_route_versions
for each statement execute function private.reject_table_change('alert_route_versions are immutable.');

-- Why: a silence mutes the notifications of matching alerts until it ends (Alertmanager's
-- silences): the alerts still open, count signals and show in the board, but no tier is
-- delivered while a silence matches. Silences end by themselves (ends_at) or are expired early.

create table public.alert_silences (
    id uuid not null default pg_catalog.gen_random_uuid(),
    workspace_id uuid not null,
    matchers jsonb not null,
    starts_at timestamptz not null,
    ends_at timestamptz not null,
    comment text not null,
    created_by text not null,
    created_at timestamptz not null,
    expired_at timestamptz,
    expired_by text,
    constraint alert_silences_pkey primary key (id),
    constraint alert_silences_matchers_is_object check (pg_catalog.jsonb_typeof(matchers) = 'object'),
    constraint alert_silences_ends_after_start check (ends_at > starts_at),
    constraint alert_silences_comment_length check (pg_catalog.char_length(comment) between 1 and 2000),
    constraint alert_silences_expiry_complete check ((expired_at is null) = (expired_by is null)),
    constraint alert_silences_workspace_id_fkey foreign key (workspace_id)
    references public.workspaces (id) on delete cascade
);

create index alert_silences_workspace_id_ends_at_idx on public.alert_silences (workspace_id, ends_at);

comment on table public.alert_silences is
'Silences: while one is active (starts_at <= now < ends_at, not expired) matching alerts are not delivered. Written only by add_silence and expire_silence.';
comment on column public.alert_silences.id is 'Silence id.';
comment on column public.alert_silences.workspace_id is 'Owning workspace.';
comment on column public.alert_silences.matchers is 'The same matchers as a route''s match (signal_type, severity, spec glob, pool, labels).';
comment on column public.alert_silences.starts_at is 'Start (the time add_silence was called).';
comment on column public.alert_silences.ends_at is 'End: the silence stops matching at this time.';
comment on column public.alert_silences.comment is 'Why the silence exists (required, as in Alertmanager).';
comment on column public.alert_silences.created_by is 'Actor that added it: user:<uuid> or service_role.';
comment on column public.alert_silences.created_at is 'Time it was added.';
comment on column public.alert_silences.expired_at is 'Set when expired early by expire_silence.';
comment on column public.alert_silences.expired_by is 'Actor that expired it early.';

alter table public.alert_silences enable row level security;

revoke all on table public.alert_silences from public, anon, authenticated, service_role, controlroom_executor;
grant select on table public.alert_silences to authenticated, service_role;

create policy alert_silences_select_members on public.alert_silences
for select to authenticated
using (workspace_id in (select private.member_workspace_ids((select auth.uid()), 'viewer')));

-- Why: signals are the facts alerting starts from (issue 14): a run failed, a run ran too long, an
-- executor went silent. Each is an append-only row with its subject (run, spec, pool, executor),
-- type, severity and a fingerprint: signals with the same fingerprint are one alert, and a
-- recovery signal (is_recovery) with the fingerprint of a problem resolves that problem's alerts.
-- They are raised by triggers (0960) and the alert sweep (0970), never by API callers.

create table public.alert_signals (
    id bigint generated always as identity,
    workspace_id uuid not null,
    run_id uuid,
    spec_name text,
    pool text,
    executor_id uuid,
    signal_type text not null,
    severity text not null,
    fingerprint text not null,
    is_recovery boolean not null default false,
    labels jsonb not null default '{}'::jsonb,
    payload jsonb not null default '{}'::jsonb,
    raised_at timestamptz not null,
    constraint alert_signals_pkey primary key (id),
    constraint alert_signals_signal_type_valid check (
        signal_type in (
            'run_failed', 'run_timed_out', 'cap_exceeded', 'retries_exhausted', 'run_too_long',
            'run_stuck_queued', 'executor_lost', 'budget_burn', 'artifact_verification_failed',
            'lease_rejected', 'run_recovered', 'queue_drained', 'executor_recovered', 'budget_recovered'
        )
    ),
    constraint alert_signals_recovery_types check (
        is_recovery = (signal_type in ('run_recovered', 'queue_drained', 'executor_recovered', 'budget_recovered'))
    ),
    constraint alert_signals_severity_valid check (severity in ('critical', 'warning', 'info')),
    constraint alert_signals_fingerprint_length check (pg_catalog.char_length(fingerprint) between 1 and 500),
    constraint alert_signals_labels_is_object check (pg_catalog.jsonb_typeof(labels) = 'object'),
    constraint alert_signals_payload_is_object check (pg_catalog.jsonb_typeof(payload) = 'object'),
    constraint alert_signals_workspace_id_fkey foreign key (workspace_id)
    references public.workspaces (id) on delete cascade
);

-- The sweep asks "was this raised lately?" per fingerprint before raising a time-based signal again.
create index alert_signals_workspace_id_fingerprint_idx on public.alert_signals (workspace_id, fingerprint, raised_at desc);
create index alert_signals_run_id_idx on public.alert_signals (run_id) where run_id is not null;

comment on table public.alert_signals is
'Append-only signals raised by the database (triggers on run_transitions and run_events, the alert sweep): what happened, to which subject, how bad, and the fingerprint that groups signals into alerts. UPDATE and DELETE raise; only the purge of the workspace removes rows.';
comment on column public.alert_signals.id is 'Signal id, in raise order.';
comment on column public.alert_signals.workspace_id is 'Workspace of the subject.';
comment on column public.alert_signals.run_id is 'Subject run, when the signal is about a run (no foreign key: signals outlive purged runs).';
comment on column public.alert_signals.spec_name is 'Pipeline (spec name) of the subject, when known; routes match it with a glob.';
comment on column public.alert_signals.pool is 'Pool of the subject, when known.';
comment on column public.alert_signals.executor_id is 'Subject executor (executor_lost, lease_rejected).';
comment on column public.alert_signals.signal_type is 'What happened: run_failed, run_timed_out, cap_exceeded, retries_exhausted, run_too_long, run_stuck_queued, executor_lost, budget_burn, artifact_verification_failed, lease_rejected; recoveries run_recovered, queue_drained, executor_recovered, budget_recovered.';
comment on column public.alert_signals.severity is 'critical | warning | info.';
comment on column public.alert_signals.fingerprint is 'Identity of the problem: <problem type>:<subject>; the same fingerprint is the same alert, and a recovery carries the fingerprint of the problem it clears.';
comment on column public.alert_signals.is_recovery is 'True for recovery signals: they resolve the open alerts with their fingerprint.';
comment on column public.alert_signals.labels is 'The labels routes match (the spec''s labels, the executor''s labels).';
comment on column public.alert_signals.payload is 'Details: reasons, thresholds, wait reason, error class.';
comment on column public.alert_signals.raised_at is 'When the cause happened (the transition, the event, the sweep time).';

alter table public.alert_signals enable row level security;

revoke all on table public.alert_signals from public, anon, authenticated, service_role, controlroom_executor;
grant select on table public.alert_signals to authenticated, service_role;

create policy alert_signals_select_members on public.alert_signals
for select to authenticated
using (workspace_id in (select private.member_workspace_ids((select auth.uid()), 'viewer')));

create trigger alert_signals_append_only
before update or delete on public.alert_signals
for each statement execute function private.reject_table_change('alert_signals is append-only.');

create trigger alert_signals_no_truncate
before truncate on public.alert_signals
for each statement execute function private.reject_table_change('alert_signals is append-only.');

-- Why: an alert is a problem somebody must look at: the signals with one fingerprint that one route
-- matched (issue 14). It follows open -> acknowledged -> resolved (and resolved -> open when the
-- problem recurs within the route's reopen window), escalates tier by tier while nobody
-- acknowledges it, and every change is audited in alert_changes. Changed only by the alerting
-- functions (triggers, sweep, acknowledge_alert, resolve_alert).

create table public.alerts (
    id uuid not null default pg_catalog.gen_random_uuid(),
    workspace_id uuid not null,
    fingerprint text not null,
    route_version_id uuid not null,
    route_name text not null,
    group_key text not null,
    signal_type text not null,
    subject jsonb not null default '{}'::jsonb,
    labels jsonb not null default '{}'::jsonb,
    status text not null default 'open',
    severity text not null,
    score double precision not null default 0,
    tier integer not null default 0,
    next_escalation_at timestamptz,
    last_notified_at timestamptz,
    suppressed_by text,
    opened_at timestamptz not null,
    acknowledged_at timestamptz,
    acknowledged_by text,
    resolved_at timestamptz,
    resolved_by text,
    first_signal_at timestamptz not null,
    last_signal_at timestamptz not null,
    signal_count integer not null default 1,
    runs_affected integer not null default 0,
    updated_at timestamptz not null,
    constraint alerts_pkey primary key (id),
    constraint alerts_status_valid check (status in ('open', 'acknowledged', 'resolved')),
    constraint alerts_severity_valid check (severity in ('critical', 'warning', 'info')),
    constraint alerts_tier_not_negative check (tier >= 0),
    constraint alerts_signal_count_positive check (signal_count >= 1),
    constraint alerts_runs_affected_not_negative check (runs_affected >= 0),
    constraint alerts_subject_is_object check (pg_catalog.jsonb_typeof(subject) = 'object'),
    constraint alerts_labels_is_object check (pg_catalog.jsonb_typeof(labels) = 'object'),
    constraint alerts_acknowledged_complete check ((acknowledged_at is null) = (acknowledged_by is null)),
    constraint alerts_resolved_iff_status check ((resolved_at is not null) = (status = 'resolved')),
    constraint alerts_resolved_complete check ((resolved_at is null) = (resolved_by is null)),
    constraint alerts_acknowledged_when_status check (status <> 'acknowledged' or acknowledged_at is not null),
    -- Only an open alert escalates: acknowledging or resolving clears the next escalation.
    constraint alerts_escalates_only_open check (status = 'open' or next_escalation_at is null),
    constraint alerts_workspace_id_fkey foreign key (workspace_id)
    references public.workspaces (id) on delete cascade,
    constraint alerts_route_version_id_fkey foreign key (route_version_id)
    references public.alert_route_versions (id)
);

-- One unresolved alert per problem and route: a new signal finds it by this key (and a concurrent
-- second insert of the same problem waits for the first and fails instead of doubling the alert).
create unique index alerts_unresolved_route_name_fingerprint_key on public.alerts (workspace_id, route_name, fingerprint)
where status <> 'resolved';
-- The latest resolved alert of a problem, which a recurrence within the reopen window reopens.
create index alerts_route_name_fingerprint_resolved_at_idx on public.alerts (workspace_id, route_name, fingerprint, resolved_at desc);
-- The escalation sweep: an index scan over due open alerts only.
create index alerts_next_escalation_at_idx on public.alerts (next_escalation_at)
where next_escalation_at is not null;
-- Recovery signals resolve the unresolved alerts of a fingerprint.
create index alerts_unresolved_fingerprint_idx on public.alerts (workspace_id, fingerprint)
where status <> 'resolved';
create index alerts_workspace_id_opened_at_idx on public.alerts (workspace_id, opened_at desc);
create index alerts_route_version_id_idx on public.alerts (route_version_id);

comment on table public.alerts is
'Alerts: the signals with one fingerprint that one route matched. open -> acknowledged -> resolved, resolved -> open on recurrence within the reopen window; escalates tier by tier while open. Changed only by the alerting functions; every change is in alert_changes.';
comment on column public.alerts.id is 'Alert id.';
comment on column public.alerts.workspace_id is 'Owning workspace.';
comment on column public.alerts.fingerprint is 'Fingerprint of its signals (<problem type>:<subject>).';
comment on column public.alerts.route_version_id is 'The routing version it was (last) routed with; its escalation tiers come from there.';
comment on column public.alerts.route_name is 'The route that matched.';
comment on column public.alerts.group_key is 'Group key: the route name and the values of its group_by labels; notifications name it.';
comment on column public.alerts.signal_type is 'Type of the problem signal.';
comment on column public.alerts.subject is 'The subject: run_id, spec, pool, executor_id of the latest signal.';
comment on column public.alerts.labels is 'The labels of the latest signal (what routes, silences and inhibit rules match).';
comment on column public.alerts.status is 'open | acknowledged | resolved.';
comment on column public.alerts.severity is 'Highest severity among its signals since it opened.';
comment on column public.alerts.score is 'Priority from the scoring engine (severity, runs affected, deadline proximity, spec criticality); explain_alert_score shows the factors.';
comment on column public.alerts.tier is 'Escalation tier reached: 0 before the first notification, then 1, 2, …';
comment on column public.alerts.next_escalation_at is 'When the next tier (or the repeat of the current one) is due; null when acknowledged, resolved or nothing is left.';
comment on column public.alerts.last_notified_at is 'Time of the latest notification (tier reached or repeated).';
comment on column public.alerts.suppressed_by is 'Why the last due notification was not sent: silence:<id> or inhibited:<alert id>; null when it was.';
comment on column public.alerts.opened_at is 'Time it (re)opened.';
comment on column public.alerts.acknowledged_at is 'Time of acknowledgement (acknowledge_alert).';
comment on column public.alerts.acknowledged_by is 'Actor that acknowledged it.';
comment on column public.alerts.resolved_at is 'Set exactly when resolved.';
comment on column public.alerts.resolved_by is 'Actor that resolved it: user:<uuid>, service_role or system:recovery.';
comment on column public.alerts.first_signal_at is 'Time of its first signal.';
comment on column public.alerts.last_signal_at is 'Time of its latest signal.';
comment on column public.alerts.signal_count is 'Problem signals counted into it.';
comment on column public.alerts.runs_affected is 'Distinct runs among its signals (a factor of the score).';
comment on column public.alerts.updated_at is 'Last change.';

alter table public.alerts enable row level security;

revoke all on table public.alerts from public, anon, authenticated, service_role, controlroom_executor;
grant select on table public.alerts to authenticated, service_role;

create policy alerts_select_members on public.alerts
for select to authenticated
using (workspace_id in (select private.member_workspace_ids((select auth.uid()), 'viewer')));

-- Why: who did what to an alert, and when, must be answerable (issue 14): every change of an alert
-- (opened, signal counted, escalated, notification suppressed, acknowledged, resolved, reopened)
-- is an append-only row with its actor: the user, the service role or system:<job>.

create table public.alert_changes (
    id bigint generated always as identity,
    alert_id uuid not null,
    workspace_id uuid not null,
    change text not null,
    from_status text,
    to_status text not null,
    tier integer,
    signal_id bigint,
    actor text not null,
    note text,
    at timestamptz not null,
    constraint alert_changes_pkey primary key (id),
    constraint alert_changes_change_valid check (
        change in ('opened', 'signal', 'escalated', 'repeated', 'suppressed', 'acknowledged', 'resolved', 'reopened')
    ),
    constraint alert_changes_from_status_valid check (from_status in ('open', 'acknowledged', 'resolved')),
    constraint alert_changes_to_status_valid check (to_status in ('open', 'acknowledged', 'resolved')),
    constraint alert_changes_actor_format check (
        actor ~ '^(user:[0-9a-f-]{36}|service_role|system:[a-z_]+)$'
    ),
    constraint alert_changes_note_length check (pg_catalog.char_length(note) <= 2000),
    constraint alert_changes_alert_id_fkey foreign key (alert_id)
    references public.alerts (id) on delete cascade
);

create index alert_changes_alert_id_idx on public.alert_changes (alert_id, id);
create index alert_changes_workspace_id_idx on public.alert_changes (workspace_id);
create index alert_changes_signal_id_idx on public.alert_changes (signal_id) where signal_id is not null;

comment on table public.alert_changes is
'Append-only audit of every alert change with its actor (user:<uuid>, service_role, system:<job>). UPDATE and DELETE raise; only the purge of the workspace removes rows.';
comment on column public.alert_changes.id is 'Change id, in order.';
comment on column public.alert_changes.alert_id is 'The alert.';
comment on column public.alert_changes.workspace_id is 'Workspace of the alert.';
comment on column public.alert_changes.change is 'opened | signal | escalated | repeated | suppressed | acknowledged | resolved | reopened.';
comment on column public.alert_changes.from_status is 'Status before (null when opened).';
comment on column public.alert_changes.to_status is 'Status after.';
comment on column public.alert_changes.tier is 'Tier reached (escalated, repeated, suppressed).';
comment on column public.alert_changes.signal_id is 'The signal that caused it (opened, signal, reopened, resolved by recovery).';
comment on column public.alert_changes.actor is 'Who: user:<uuid>, service_role or system:<job> (system:signal, system:escalation, system:recovery).';
comment on column public.alert_changes.note is 'Note given with acknowledge_alert or resolve_alert, or what suppressed a notification.';
comment on column public.alert_changes.at is 'When.';

alter table public.alert_changes enable row level security;

revoke all on table public.alert_changes from public, anon, authenticated, service_role, controlroom_executor;
grant select on table public.alert_changes to authenticated, service_role;

create policy alert_changes_select_members on public.alert_changes
for select to authenticated
using (workspace_id in (select private.member_workspace_ids((select auth.uid()), 'viewer')));

create trigger alert_changes_append_only
before update or delete on public.alert_changes
for each statement execute function private.reject_table_change('alert_changes is an append-only audit.');

create trigger alert_changes_no_truncate
before truncate on public.alert_changes
for each statement execute function private.reject_table_change('alert_changes is an append-only audit.');

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
    constraint alert_deliveries_pkey primary key (id),
    constraint alert_deliveries_lease_token_key unique (lease_token),
    constraint alert_deliveries_tier_positive check (tier >= 1),
    constraint alert_deliveries_change_valid check (change in ('escalated', 'repeated', 'resolved')),
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
    references public.alerts (id) on delete cascade
);

-- The claim: an index scan in due order over deliveries waiting to be sent or retried.
create index alert_deliveries_due_idx on public.alert_deliveries (next_attempt_at)
where status in ('pending', 'failed');
-- A crashed dispatcher's deliveries: leased, lease expired.
create index alert_deliveries_leased_idx on public.alert_deliveries (lease_expires_at)
where status = 'leased';
create index alert_deliveries_alert_id_idx on public.alert_deliveries (alert_id);
create index alert_deliveries_workspace_id_idx on public.alert_deliveries (workspace_id);

comment on table public.alert_deliveries is
'Outbox of notifications: one row per alert, tier (or repeat, or resolution) and target. pending/failed -> leased (claim_deliveries) -> sent | failed (retried with backoff) | dead. Written only by the alerting functions.';
comment on column public.alert_deliveries.id is 'Delivery id; the receiver may use it to deduplicate.';
comment on column public.alert_deliveries.alert_id is 'The alert.';
comment on column public.alert_deliveries.workspace_id is 'Workspace of the alert.';
comment on column public.alert_deliveries.tier is 'Escalation tier this notification belongs to.';
comment on column public.alert_deliveries.change is 'What is notified: escalated (tier reached), repeated (repeat_interval), resolved.';
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

-- Why: signal -> first delivery attempt within 2 s (issue 14): a local dispatcher LISTENs on
-- controlroom_alert_deliveries and claims at once instead of waiting for its next poll. One
-- notification per statement and workspace (never per row: the outbox takes batches).

create function private.alert_deliveries_after_insert()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
    perform pg_catalog.pg_notify('controlroom_alert_deliveries', w.workspace_id::text)
    from (select distinct n.workspace_id from new_deliveries as n) as w;
    return null;
end
$$;

comment on function private.alert_deliveries_after_insert() is
'Trigger: NOTIFY controlroom_alert_deliveries with the workspace id, once per statement and workspace, so a listening dispatcher claims at once.';

create trigger alert_deliveries_after_insert
after insert on public.alert_deliveries
referencing new table as new_deliveries
for each statement execute function private.alert_deliveries_after_insert();

-- Why: every attempt to send a notification is recorded (issue 14): status code, latency and error,
-- so "did the page go out, and what did the receiver say?" has an answer. Append-only; written by
-- finish_delivery in the transaction that settles the delivery.

create table public.alert_delivery_attempts (
    id bigint generated always as identity,
    delivery_id uuid not null,
    workspace_id uuid not null,
    attempt integer not null,
    lease_token uuid not null,
    dispatcher text not null,
    outcome text not null,
    status_code integer,
    latency_ms integer,
    error text,
    at timestamptz not null,
    constraint alert_delivery_attempts_pkey primary key (id),
    constraint alert_delivery_attempts_lease_token_key unique (lease_token),
    constraint alert_delivery_attempts_attempt_positive check (attempt >= 1),
    constraint alert_delivery_attempts_outcome_valid check (outcome in ('sent', 'failed', 'expired')),
    constraint alert_delivery_attempts_status_code_range check (status_code between 100 and 599),
    constraint alert_delivery_attempts_latency_not_negative check (latency_ms >= 0),
    constraint alert_delivery_attempts_error_length check (pg_catalog.char_length(error) <= 2000),
    constraint alert_delivery_attempts_delivery_id_fkey foreign key (delivery_id)
    references public.alert_deliveries (id) on delete cascade
);

create index alert_delivery_attempts_delivery_id_idx on public.alert_delivery_attempts (delivery_id, attempt);
create index alert_delivery_attempts_workspace_id_idx on public.alert_delivery_attempts (workspace_id);

comment on table public.alert_delivery_attempts is
'Append-only record of every delivery attempt reported by a dispatcher (finish_delivery): outcome, HTTP status, latency, error. One row per lease token.';
comment on column public.alert_delivery_attempts.id is 'Attempt record id.';
comment on column public.alert_delivery_attempts.delivery_id is 'The delivery.';
comment on column public.alert_delivery_attempts.workspace_id is 'Workspace of the delivery.';
comment on column public.alert_delivery_attempts.attempt is 'Attempt number (1, 2, …).';
comment on column public.alert_delivery_attempts.lease_token is 'The lease the attempt was made under (one report per lease).';
comment on column public.alert_delivery_attempts.dispatcher is 'Dispatcher that made it.';
comment on column public.alert_delivery_attempts.outcome is 'sent | failed, as reported; expired when the lease ran out without a report (a crashed dispatcher) and the delivery was claimed again.';
comment on column public.alert_delivery_attempts.status_code is 'HTTP status of the receiver, null when no answer (timeout, connection error).';
comment on column public.alert_delivery_attempts.latency_ms is 'Time to the answer, in milliseconds.';
comment on column public.alert_delivery_attempts.error is 'Error text of a failed attempt.';
comment on column public.alert_delivery_attempts.at is 'When it was reported.';

alter table public.alert_delivery_attempts enable row level security;

revoke all on table public.alert_delivery_attempts from public, anon, authenticated, service_role, controlroom_executor;
grant select on table public.alert_delivery_attempts to authenticated, service_role;

create policy alert_delivery_attempts_select_members on public.alert_delivery_attempts
for select to authenticated
using (workspace_id in (select private.member_workspace_ids((select auth.uid()), 'viewer')));

create trigger alert_delivery_attempts_append_only
before update or delete on public.alert_delivery_attempts
for each statement execute function private.reject_table_change('alert_delivery_attempts is append-only.');

create trigger alert_delivery_attempts_no_truncate
before truncate on public.alert_delivery_attempts
for each statement execute function private.reject_table_change('alert_delivery_attempts is append-only.');

-- Why: a routing document is checked by the CLI (`controlroom routes validate`, with file and line)
-- and again by the database before it is published, so a hand-made call cannot store a document the
-- router would trip over. Small helpers return the first problem as the JSON path of the bad field
-- and what is wrong (like private.first_event_problem, 0509); publish_routes and test_routes raise
-- 22023 with the path in the detail.

create function private.alert_signal_types()
returns text []
language sql
immutable
parallel safe
set search_path = ''
as $$
    select array[
        'run_failed', 'run_timed_out', 'cap_exceeded', 'retries_exhausted', 'run_too_long',
        'run_stuck_queued', 'executor_lost', 'budget_burn', 'artifact_verification_failed',
        'lease_rejected', 'run_recovered', 'queue_drained', 'executor_recovered', 'budget_recovered'
    ]
$$;

comment on function private.alert_signal_types() is
'Every signal type (the CHECK of alert_signals.signal_type says the same): problems, then recoveries.';

create function private.first_matcher_problem(path text, match jsonb)
returns table (path text, problem text)
language sql
immutable
parallel safe
set search_path = ''
as $$
    -- A matcher maps a label to a glob (string) or to a list of globs (any of them), and labels to
    -- an object of label -> glob. Unknown keys are refused: a typo must not match everything.
    with entries as (
        select e.key, e.value, e.ordinality
        from pg_catalog.jsonb_each(first_matcher_problem.match) with ordinality as e (key, value, ordinality)
        where pg_catalog.jsonb_typeof(first_matcher_problem.match) = 'object'
    ),
    problems as (
        select 0::bigint as n, first_matcher_problem.path as path, 'must be an object'::text as problem
        where pg_catalog.jsonb_typeof(first_matcher_problem.match) <> 'object'
        union all
        select e.ordinality, first_matcher_problem.path || '.' || e.key,
            'is not a matcher: use signal_type, severity, spec, pool, executor_id, run_id or labels'
        from entries as e
        where e.key not in ('signal_type', 'severity', 'spec', 'pool', 'executor_id', 'run_id', 'labels')
        union all
        select e.ordinality, first_matcher_problem.path || '.' || e.key,
            'must be a string (glob) or a non-empty array of strings'
        from entries as e
        where e.key <> 'labels'
          and not (
              pg_catalog.jsonb_typeof(e.value) = 'string'
              or (
                  pg_catalog.jsonb_typeof(e.value) = 'array'
                  and pg_catalog.jsonb_array_length(e.value) between 1 and 100
                  and not pg_catalog.jsonb_path_exists(e.value, '$[*] ? (@.type() != "string")')
              )
          )
        union all
        select e.ordinality, first_matcher_problem.path || '.' || e.key,
            'names an unknown value: ' || (
                select pg_catalog.string_agg(v.value, ', ')
                from pg_catalog.jsonb_array_elements_text(
                    case pg_catalog.jsonb_typeof(e.value) when 'array' then e.value else pg_catalog.jsonb_build_array(e.value) end
                ) as v (value)
                where v.value !~ '[*?]'
                  and v.value <> all(
                      case e.key
                          when 'severity' then array['critical', 'warning', 'info']
                          else private.alert_signal_types()
                      end
                  )
            )
        from entries as e
        where e.key in ('signal_type', 'severity')
          and pg_catalog.jsonb_typeof(e.value) in ('string', 'array')
          and exists (
              select
              from pg_catalog.jsonb_array_elements_text(
                  case pg_catalog.jsonb_typeof(e.value) when 'array' then e.value else pg_catalog.jsonb_build_array(e.value) end
              ) as v (value)
              where v.value !~ '[*?]'
                and v.value <> all(
                    case e.key
                        when 'severity' then array['critical', 'warning', 'info']
                        else private.alert_signal_types()
                    end
                )
          )
        union all
        select e.ordinality, first_matcher_problem.path || '.labels',
            'must be an object of label: glob strings'
        from entries as e
        where e.key = 'labels'
          and (
              pg_catalog.jsonb_typeof(e.value) <> 'object'
              or pg_catalog.jsonb_path_exists(e.value, '$.* ? (@.type() != "string")')
          )
    )
    select p.path, p.problem from problems as p order by p.n limit 1
$$;

comment on function private.first_matcher_problem(text, jsonb) is
'The first problem of a matcher object (route match, silence, inhibit rule) as (JSON path, what is wrong), or no row.';

create function private.first_routes_problem(body jsonb)
returns table (path text, problem text)
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
declare
    v_route record;
    v_tier record;
    v_target record;
    v_rule record;
    v_key text;
    v_path text;
    v_names text [] := '{}'::text [];
begin
    if pg_catalog.jsonb_typeof(first_routes_problem.body) is distinct from 'object' then
        return query select '$'::text, 'must be an object {routes, inhibit_rules, targets, defaults}'::text;
        return;
    end if;
    select k into v_key
    from pg_catalog.jsonb_object_keys(first_routes_problem.body) as k
    where k not in ('routes', 'inhibit_rules', 'targets', 'defaults')
    limit 1;
    if found then
        return query select '$.' || v_key, 'is not a key of a routing document (routes, inhibit_rules, targets, defaults)'::text;
        return;
    end if;

    -- targets: name -> {kind, url_secret, signing_secret}; secrets are names of environment variables.
    if pg_catalog.jsonb_typeof(coalesce(first_routes_problem.body -> 'targets', '{}'::jsonb)) <> 'object' then
        return query select '$.targets'::text, 'must be an object of target name: {kind, url_secret, signing_secret}'::text;
        return;
    end if;
    for v_target in
        select t.key, t.value from pg_catalog.jsonb_each(coalesce(first_routes_problem.body -> 'targets', '{}'::jsonb)) as t
        order by t.key
    loop
        v_path := '$.targets.' || v_target.key;
        if v_target.key !~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' then
            return query select v_path, 'target names are 1-64 letters, digits, _ . - (starting with a letter or digit)'::text;
            return;
        end if;
        if pg_catalog.jsonb_typeof(v_target.value) <> 'object' then
            return query select v_path, 'must be an object {kind, url_secret, signing_secret}'::text;
            return;
        end if;
        select k into v_key from pg_catalog.jsonb_object_keys(v_target.value) as k
        where k not in ('kind', 'url_secret', 'signing_secret') limit 1;
        if found then
            return query select v_path || '.' || v_key, 'is not a key of a target (kind, url_secret, signing_secret)'::text;
            return;
        end if;
        if coalesce(v_target.value ->> 'kind', '') not in ('webhook', 'slack') then
            return query select v_path || '.kind', 'must be webhook or slack'::text;
            return;
        end if;
        if pg_catalog.jsonb_typeof(v_target.value -> 'url_secret') is distinct from 'string'
            or (v_target.value ->> 'url_secret') !~ '^[A-Z][A-Z0-9_]{0,127}$' then
            return query select v_path || '.url_secret',
                'must name a secret (an environment variable of the dispatcher, like ONCALL_WEBHOOK_URL), never a URL'::text;
            return;
        end if;
        if v_target.value ? 'signing_secret'
            and (pg_catalog.jsonb_typeof(v_target.value -> 'signing_secret') <> 'string'
                or (v_target.value ->> 'signing_secret') !~ '^[A-Z][A-Z0-9_]{0,127}$') then
            return query select v_path || '.signing_secret', 'must name a secret (an environment variable of the dispatcher)'::text;
            return;
        end if;
    end loop;

    if pg_catalog.jsonb_typeof(first_routes_problem.body -> 'routes') is distinct from 'array'
        or pg_catalog.jsonb_array_length(first_routes_problem.body -> 'routes') not between 1 and 200 then
        return query select '$.routes'::text, 'must be an array of 1 to 200 routes'::text;
        return;
    end if;
    for v_route in
        select r.value, (r.ordinality - 1)::integer as idx
        from pg_catalog.jsonb_array_elements(first_routes_problem.body -> 'routes') with ordinality as r (value, ordinality)
        order by r.ordinality
    loop
        v_path := '$.routes[' || v_route.idx || ']';
        if pg_catalog.jsonb_typeof(v_route.value) <> 'object' then
            return query select v_path, 'must be an object'::text;
            return;
        end if;
        select k into v_key from pg_catalog.jsonb_object_keys(v_route.value) as k
        where k not in ('name', 'match', 'continue', 'group_by', 'group_wait_seconds', 'group_interval_seconds',
            'repeat_interval_seconds', 'reopen_window_seconds', 'send_resolved', 'escalation')
        limit 1;
        if found then
            return query select v_path || '.' || v_key, 'is not a key of a route'::text;
            return;
        end if;
        if pg_catalog.jsonb_typeof(v_route.value -> 'name') is distinct from 'string'
            or (v_route.value ->> 'name') !~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' then
            return query select v_path || '.name', 'is required: 1-64 letters, digits, _ . - (starting with a letter or digit)'::text;
            return;
        end if;
        if (v_route.value ->> 'name') = any(v_names) then
            return query select v_path || '.name', 'repeats the name of an earlier route'::text;
            return;
        end if;
        v_names := v_names || (v_route.value ->> 'name');
        if v_route.value ? 'match' then
            return query select * from private.first_matcher_problem(v_path || '.match', v_route.value -> 'match');
            if found then
                return;
            end if;
        end if;
        if v_route.value ? 'continue' and pg_catalog.jsonb_typeof(v_route.value -> 'continue') <> 'boolean' then
            return query select v_path || '.continue', 'must be true or false'::text;
            return;
        end if;
        if v_route.value ? 'send_resolved' and pg_catalog.jsonb_typeof(v_route.value -> 'send_resolved') <> 'boolean' then
            return query select v_path || '.send_resolved', 'must be true or false'::text;
            return;
        end if;
        if v_route.value ? 'group_by' and (
            pg_catalog.jsonb_typeof(v_route.value -> 'group_by') <> 'array'
            or pg_catalog.jsonb_array_length(v_route.value -> 'group_by') > 20
            or pg_catalog.jsonb_path_exists(v_route.value -> 'group_by', '$[*] ? (@.type() != "string")')
        ) then
            return query select v_path || '.group_by', 'must be an array of up to 20 label names'::text;
            return;
        end if;
        select k into v_key
        from unnest(array['group_wait_seconds', 'group_interval_seconds', 'repeat_interval_seconds', 'reopen_window_seconds']) as k
        where v_route.value ? k
          and (pg_catalog.jsonb_typeof(v_route.value -> k) <> 'number'
              or (v_route.value ->> k)::numeric <> pg_catalog.trunc((v_route.value ->> k)::numeric)
              or (v_route.value ->> k)::numeric not between 0 and 31536000)
        limit 1;
        if found then
            return query select v_path || '.' || v_key, 'must be a whole number of seconds from 0 to 31536000'::text;
            return;
        end if;
        if pg_catalog.jsonb_typeof(v_route.value -> 'escalation') is distinct from 'array'
            or pg_catalog.jsonb_array_length(v_route.value -> 'escalation') not between 1 and 10 then
            return query select v_path || '.escalation', 'must be an array of 1 to 10 tiers {targets, after_seconds}'::text;
            return;
        end if;
        for v_tier in
            select t.value, (t.ordinality - 1)::integer as idx
            from pg_catalog.jsonb_array_elements(v_route.value -> 'escalation') with ordinality as t (value, ordinality)
            order by t.ordinality
        loop
            if pg_catalog.jsonb_typeof(v_tier.value) <> 'object' then
                return query select v_path || '.escalation[' || v_tier.idx || ']', 'must be an object {targets, after_seconds}'::text;
                return;
            end if;
            select k into v_key from pg_catalog.jsonb_object_keys(v_tier.value) as k
            where k not in ('targets', 'after_seconds') limit 1;
            if found then
                return query select v_path || '.escalation[' || v_tier.idx || '].' || v_key, 'is not a key of a tier (targets, after_seconds)'::text;
                return;
            end if;
            if pg_catalog.jsonb_typeof(v_tier.value -> 'targets') is distinct from 'array'
                or pg_catalog.jsonb_array_length(v_tier.value -> 'targets') not between 1 and 20
                or pg_catalog.jsonb_path_exists(v_tier.value -> 'targets', '$[*] ? (@.type() != "string")') then
                return query select v_path || '.escalation[' || v_tier.idx || '].targets', 'must be an array of 1 to 20 target names'::text;
                return;
            end if;
            select t into v_key
            from pg_catalog.jsonb_array_elements_text(v_tier.value -> 'targets') as t
            where not coalesce(first_routes_problem.body -> 'targets', '{}'::jsonb) ? t
            limit 1;
            if found then
                return query select v_path || '.escalation[' || v_tier.idx || '].targets',
                    ('names ' || v_key || ', which is not in targets')::text;
                return;
            end if;
            if v_tier.value ? 'after_seconds' and (
                pg_catalog.jsonb_typeof(v_tier.value -> 'after_seconds') <> 'number'
                or (v_tier.value ->> 'after_seconds')::numeric <> pg_catalog.trunc((v_tier.value ->> 'after_seconds')::numeric)
                or (v_tier.value ->> 'after_seconds')::numeric not between 0 and 31536000
            ) then
                return query select v_path || '.escalation[' || v_tier.idx || '].after_seconds', 'must be a whole number of seconds from 0 to 31536000'::text;
                return;
            end if;
        end loop;
    end loop;

    if pg_catalog.jsonb_typeof(coalesce(first_routes_problem.body -> 'inhibit_rules', '[]'::jsonb)) <> 'array'
        or pg_catalog.jsonb_array_length(coalesce(first_routes_problem.body -> 'inhibit_rules', '[]'::jsonb)) > 100 then
        return query select '$.inhibit_rules'::text, 'must be an array of up to 100 rules {source_match, target_match, equal}'::text;
        return;
    end if;
    for v_rule in
        select r.value, (r.ordinality - 1)::integer as idx
        from pg_catalog.jsonb_array_elements(coalesce(first_routes_problem.body -> 'inhibit_rules', '[]'::jsonb)) with ordinality as r (value, ordinality)
        order by r.ordinality
    loop
        v_path := '$.inhibit_rules[' || v_rule.idx || ']';
        if pg_catalog.jsonb_typeof(v_rule.value) <> 'object' then
            return query select v_path, 'must be an object {source_match, target_match, equal}'::text;
            return;
        end if;
        select k into v_key from pg_catalog.jsonb_object_keys(v_rule.value) as k
        where k not in ('source_match', 'target_match', 'equal') limit 1;
        if found then
            return query select v_path || '.' || v_key, 'is not a key of an inhibit rule (source_match, target_match, equal)'::text;
            return;
        end if;
        return query select * from private.first_matcher_problem(v_path || '.source_match', coalesce(v_rule.value -> 'source_match', 'null'::jsonb));
        if found then
            return;
        end if;
        return query select * from private.first_matcher_problem(v_path || '.target_match', coalesce(v_rule.value -> 'target_match', 'null'::jsonb));
        if found then
            return;
        end if;
        if v_rule.value ? 'equal' and (
            pg_catalog.jsonb_typeof(v_rule.value -> 'equal') <> 'array'
            or pg_catalog.jsonb_path_exists(v_rule.value -> 'equal', '$[*] ? (@.type() != "string")')
        ) then
            return query select v_path || '.equal', 'must be an array of label names'::text;
            return;
        end if;
    end loop;

    if pg_catalog.jsonb_typeof(coalesce(first_routes_problem.body -> 'defaults', '{}'::jsonb)) <> 'object' then
        return query select '$.defaults'::text, 'must be an object'::text;
        return;
    end if;
    select d.key into v_key
    from pg_catalog.jsonb_each(coalesce(first_routes_problem.body -> 'defaults', '{}'::jsonb)) as d
    where d.key not in ('queued_warning_seconds', 'executor_lost_seconds', 'budget_burn_ratio', 'reopen_window_seconds')
       or pg_catalog.jsonb_typeof(d.value) <> 'number'
       or (d.value #>> '{}')::numeric < 0
       or (d.key = 'budget_burn_ratio' and (d.value #>> '{}')::numeric > 1)
    limit 1;
    if found then
        return query select '$.defaults.' || v_key,
            'defaults are queued_warning_seconds, executor_lost_seconds, reopen_window_seconds (seconds >= 0) and budget_burn_ratio (0 to 1)'::text;
        return;
    end if;
end
$$;

comment on function private.first_routes_problem(jsonb) is
'The first problem of a routing document as (JSON path of the bad field, what is wrong), or no row: keys, route names, matchers, group settings, escalation tiers naming defined targets, secret names (never URLs), inhibit rules and defaults.';

-- Why: routes, silences and inhibit rules all match alerts the same way (Alertmanager's matchers):
-- a label against a glob or a list of globs, where the labels are the signal's own labels plus its
-- subject (signal_type, severity, spec, pool, executor_id, run_id). One set of helpers, used by
-- the router (0950), the escalation sweep and test_routes, so `controlroom routes test` shows
-- exactly what the database does.

create function private.glob_matches(value text, glob text)
returns boolean
language sql
immutable
parallel safe
set search_path = ''
as $$
    -- * is any run of characters, ? one character; everything else is literal.
    select glob_matches.value like pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(
        pg_catalog.replace(glob_matches.glob, '\', '\\'), '%', '\%'), '_', '\_'), '*', '%'), '?', '_')
$$;

comment on function private.glob_matches(text, text) is
'Whether value matches a glob (* any run of characters, ? one character, the rest literal); false for a null value.';

create function private.signal_match_labels(
    labels jsonb, signal_type text, severity text, spec_name text, pool text, executor_id uuid, run_id uuid
)
returns jsonb
language sql
immutable
parallel safe
set search_path = ''
as $$
    select coalesce(signal_match_labels.labels, '{}'::jsonb) || pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
        'signal_type', signal_match_labels.signal_type,
        'severity', signal_match_labels.severity,
        'spec', signal_match_labels.spec_name,
        'pool', signal_match_labels.pool,
        'executor_id', signal_match_labels.executor_id,
        'run_id', signal_match_labels.run_id
    ))
$$;

comment on function private.signal_match_labels(jsonb, text, text, text, text, uuid, uuid) is
'The labels matchers see for a signal: its own labels plus signal_type, severity, spec, pool, executor_id and run_id (the subject wins over a label of the same name).';

create function private.matcher_matches(match jsonb, labels jsonb)
returns boolean
language sql
immutable
parallel safe
set search_path = ''
as $$
    -- Every key must match (AND); a list matches when any glob does (OR); a missing label matches
    -- nothing but an absent matcher. An empty or null matcher matches everything.
    select coalesce(pg_catalog.bool_and(
        case
            when m.key = 'labels' then (
                select coalesce(pg_catalog.bool_and(private.glob_matches(matcher_matches.labels ->> l.key, l.value)), true)
                from pg_catalog.jsonb_each_text(m.value) as l (key, value)
            )
            when pg_catalog.jsonb_typeof(m.value) = 'array' then exists (
                select
                from pg_catalog.jsonb_array_elements_text(m.value) as g (glob)
                where private.glob_matches(matcher_matches.labels ->> m.key, g.glob)
            )
            else private.glob_matches(matcher_matches.labels ->> m.key, m.value #>> '{}')
        end
    ), true)
    from pg_catalog.jsonb_each(coalesce(matcher_matches.match, '{}'::jsonb)) as m (key, value)
$$;

comment on function private.matcher_matches(jsonb, jsonb) is
'Whether labels satisfy a matcher object (route match, silence, inhibit source/target): every key matches its glob or one of its globs; labels: {k: glob} each. Empty matches all.';

create function private.alert_group_key(route jsonb, labels jsonb)
returns text
language sql
immutable
parallel safe
set search_path = ''
as $$
    -- Alertmanager's group key: the route, then the group_by labels in the order given.
    select (alert_group_key.route ->> 'name') || ':{' || coalesce((
        select pg_catalog.string_agg(
            g.label || '=' || pg_catalog.to_json(coalesce(alert_group_key.labels ->> g.label, ''))::text, ',' order by g.ordinality
        )
        from pg_catalog.jsonb_array_elements_text(coalesce(alert_group_key.route -> 'group_by', '[]'::jsonb))
            with ordinality as g (label, ordinality)
    ), '') || '}'
$$;

comment on function private.alert_group_key(jsonb, jsonb) is
'Group key of a signal on a route: <route name>:{label="value",…} over the route''s group_by labels, in order.';

create function private.matching_routes(body jsonb, labels jsonb)
returns table (ord integer, route jsonb, route_name text, group_key text)
language sql
immutable
parallel safe
set search_path = ''
as $$
    -- First match wins; a matching route with continue: true lets the routes after it match too
    -- (Alertmanager's continue). A route is taken when it matches and every matching route before
    -- it continues.
    with matched as (
        select (r.ordinality)::integer as ord, r.value as route,
            coalesce((r.value ->> 'continue')::boolean, false) as continues
        from pg_catalog.jsonb_array_elements(coalesce(matching_routes.body -> 'routes', '[]'::jsonb))
            with ordinality as r (value, ordinality)
        where private.matcher_matches(r.value -> 'match', matching_routes.labels)
    ),
    taken as (
        select m.*, coalesce(pg_catalog.bool_and(m.continues) over (
            order by m.ord rows between unbounded preceding and 1 preceding
        ), true) as reached
        from matched as m
    )
    select t.ord, t.route, t.route ->> 'name', private.alert_group_key(t.route, matching_routes.labels)
    from taken as t
    where t.reached
    order by t.ord
$$;

comment on function private.matching_routes(jsonb, jsonb) is
'The routes of a routing document that take a signal with these labels, in order: the first match, and the matches after it while every earlier match has continue: true. With the group key of each.';

create function private.active_silence(workspace_id uuid, labels jsonb, as_of timestamptz)
returns uuid
language sql
stable
set search_path = ''
as $$
    select s.id
    from public.alert_silences as s
    where s.workspace_id = active_silence.workspace_id
      and s.ends_at > active_silence.as_of
      and s.starts_at <= active_silence.as_of
      and s.expired_at is null
      and private.matcher_matches(s.matchers, active_silence.labels)
    order by s.ends_at desc, s.id
    limit 1
$$;

comment on function private.active_silence(uuid, jsonb, timestamptz) is
'The active silence (started, not ended, not expired) of the workspace that matches the labels, or null.';

create function private.inhibiting_alert(workspace_id uuid, body jsonb, alert_id uuid, labels jsonb)
returns uuid
language sql
stable
set search_path = ''
as $$
    -- Alertmanager's inhibition: an unresolved alert matching a rule's source_match mutes alerts
    -- matching its target_match when the labels listed in equal have the same value in both. An
    -- alert never inhibits itself.
    select a.id
    from pg_catalog.jsonb_array_elements(coalesce(inhibiting_alert.body -> 'inhibit_rules', '[]'::jsonb)) as r (rule)
    inner join public.alerts as a
        on a.workspace_id = inhibiting_alert.workspace_id
        and a.status <> 'resolved'
        and a.id is distinct from inhibiting_alert.alert_id
        and private.matcher_matches(r.rule -> 'source_match', a.labels)
    where private.matcher_matches(r.rule -> 'target_match', inhibiting_alert.labels)
      and not exists (
          select
          from pg_catalog.jsonb_array_elements_text(coalesce(r.rule -> 'equal', '[]'::jsonb)) as e (label)
          where (a.labels ->> e.label) is distinct from (inhibiting_alert.labels ->> e.label)
      )
    order by a.opened_at, a.id
    limit 1
$$;

comment on function private.inhibiting_alert(uuid, jsonb, uuid, jsonb) is
'The unresolved alert of the workspace that inhibits an alert with these labels under the document''s inhibit_rules (source matches it, target matches the labels, equal labels agree), or null. Never the alert itself.';

-- Why: the alert state machine has one home (issue 14). A signal finds or opens its alert on every
-- route that takes it (private.route_alert_signals, called by the trigger on alert_signals), a
-- recovery signal resolves the alerts of its fingerprint, and an open alert moves tier by tier
-- when its delay passes (private.escalate_alerts, called by claim_deliveries and the pg_cron sweep).
-- Each change writes its audit row in alert_changes and, when somebody must hear of it, its
-- deliveries in the outbox, in the same transaction.

create function private.severity_rank(severity text)
returns integer
language sql
immutable
parallel safe
set search_path = ''
as $$
    select case severity_rank.severity when 'critical' then 3 when 'warning' then 2 when 'info' then 1 else 0 end
$$;

comment on function private.severity_rank(text) is
'Order of severities: info 1 < warning 2 < critical 3.';

create function private.current_route_version(workspace_id uuid)
returns public.alert_route_versions
language sql
stable
set search_path = ''
as $$
    select v.*
    from public.alert_route_versions as v
    where v.workspace_id = current_route_version.workspace_id
    order by v.version desc
    limit 1
$$;

comment on function private.current_route_version(uuid) is
'The routing version signals of the workspace are routed by: the highest published version, or null.';

create function private.alert_route(alert public.alerts)
returns jsonb
language sql
stable
set search_path = ''
as $$
    select r.value
    from public.alert_route_versions as v
    cross join lateral pg_catalog.jsonb_array_elements(v.body -> 'routes') as r (value)
    where v.id = (alert_route.alert).route_version_id
      and r.value ->> 'name' = (alert_route.alert).route_name
    limit 1
$$;

comment on function private.alert_route(public.alerts) is
'The route (JSON) of the routing version an alert was routed with.';

create function private.alert_score_factors(alert public.alerts, as_of timestamptz)
returns table (factor text, raw double precision, normalised double precision, weight double precision, contribution double precision)
language sql
stable
set search_path = ''
as $$
    -- The scoring engine's shape (private.score_factors_in, 0296): raw value, factor in [0, 1],
    -- weight, contribution. Deadline proximity uses the runs' own factor (private.deadline_factor).
    with f (n, factor, raw, normalised, weight) as (
        select 1, 'severity', private.severity_rank((alert_score_factors.alert).severity)::double precision,
            case (alert_score_factors.alert).severity when 'critical' then 1.0 when 'warning' then 0.5 else 0.1 end::double precision,
            1000::double precision
        union all
        select 2, 'runs_affected', (alert_score_factors.alert).runs_affected::double precision,
            least(1, (alert_score_factors.alert).runs_affected::double precision / 10), 500
        union all
        select 3, 'deadline', extract(epoch from r.due_by - alert_score_factors.as_of)::double precision,
            private.deadline_factor(r.due_by, alert_score_factors.as_of, 3600), 1000
        from (select (
            select rr.due_by from public.runs as rr
            where rr.id = ((alert_score_factors.alert).subject ->> 'run_id')::uuid
        ) as due_by) as r
        union all
        select 4, 'spec_criticality', c.level::double precision, c.level::double precision / 4, 1000
        from (select coalesce((
            select case s.body #>> '{alerts,criticality}'
                when 'critical' then 4 when 'high' then 3 when 'medium' then 2 when 'low' then 1 else 2 end
            from public.pipeline_specs as s
            where s.workspace_id = (alert_score_factors.alert).workspace_id
              and s.name = (alert_score_factors.alert).subject ->> 'spec'
            order by s.published_at desc, s.id
            limit 1
        ), 0) as level) as c
    )
    select f.factor, f.raw, f.normalised, f.weight, f.normalised * f.weight
    from f
    order by f.n
$$;

comment on function private.alert_score_factors(public.alerts, timestamptz) is
'The factors of an alert''s score: severity (critical 1, warning 0.5, info 0.1; weight 1000), runs affected (/10, capped at 1; weight 500), deadline proximity of its run (private.deadline_factor over 1 hour; weight 1000), spec criticality (alerts.criticality low 1 .. critical 4, medium when unset, 0 without a spec, /4; weight 1000).';

create function private.alert_score(alert public.alerts, as_of timestamptz)
returns double precision
language sql
stable
set search_path = ''
as $$
    select coalesce(pg_catalog.sum(f.contribution), 0)
    from private.alert_score_factors(alert_score.alert, alert_score.as_of) as f
$$;

comment on function private.alert_score(public.alerts, timestamptz) is
'An alert''s score: the sum of the contributions of private.alert_score_factors.';

create function private.alert_payload(alert public.alerts, change text, tier integer, as_of timestamptz)
returns jsonb
language sql
stable
set search_path = ''
as $$
    select pg_catalog.jsonb_build_object(
        'alert_id', (alert_payload.alert).id,
        'workspace_id', (alert_payload.alert).workspace_id,
        'change', alert_payload.change,
        'status', (alert_payload.alert).status,
        'tier', alert_payload.tier,
        'route', (alert_payload.alert).route_name,
        'group_key', (alert_payload.alert).group_key,
        'fingerprint', (alert_payload.alert).fingerprint,
        'signal_type', (alert_payload.alert).signal_type,
        'severity', (alert_payload.alert).severity,
        'score', (alert_payload.alert).score,
        'subject', (alert_payload.alert).subject,
        'labels', (alert_payload.alert).labels,
        'summary', pg_catalog.format('[%s] %s %s%s', pg_catalog.upper((alert_payload.alert).severity),
            pg_catalog.replace((alert_payload.alert).signal_type, '_', ' '),
            coalesce('of ' || ((alert_payload.alert).subject ->> 'spec'), 'in ' || ((alert_payload.alert).subject ->> 'pool'), ''),
            case alert_payload.change when 'resolved' then ' (resolved)' else '' end),
        'opened_at', (alert_payload.alert).opened_at,
        'last_signal_at', (alert_payload.alert).last_signal_at,
        'signal_count', (alert_payload.alert).signal_count,
        'runs_affected', (alert_payload.alert).runs_affected,
        'group_open_alerts', (
            select pg_catalog.count(*)
            from public.alerts as g
            where g.workspace_id = (alert_payload.alert).workspace_id
              and g.group_key = (alert_payload.alert).group_key
              and g.status <> 'resolved'
        ),
        'sent_for', alert_payload.as_of
    )
$$;

comment on function private.alert_payload(public.alerts, text, integer, timestamptz) is
'The body of a notification: the alert (id, route, group key, fingerprint, type, severity, score, subject, labels, counts), the change notified, the tier, a one-line summary and the number of unresolved alerts in its group.';

create function private.enqueue_alert_deliveries(alert public.alerts, tiers integer [], change text, as_of timestamptz)
returns integer
language sql
set search_path = ''
as $$
    -- One delivery per distinct target of the given tiers (1-based) of the alert's route, with the
    -- target's secret names from the same routing version.
    with v as (
        select rv.body from public.alert_route_versions as rv where rv.id = (enqueue_alert_deliveries.alert).route_version_id
    ),
    targets as (
        select distinct on (t.name) t.name, (select v.body -> 'targets' -> t.name from v) as target
        from pg_catalog.jsonb_array_elements(
            private.alert_route(enqueue_alert_deliveries.alert) -> 'escalation'
        ) with ordinality as e (tier, n)
        cross join lateral pg_catalog.jsonb_array_elements_text(e.tier -> 'targets') as t (name)
        where e.n = any(enqueue_alert_deliveries.tiers)
        order by t.name
    ),
    inserted as (
        insert into public.alert_deliveries (
            alert_id, workspace_id, tier, change, target_name, target_kind, url_secret, signing_secret,
            payload, next_attempt_at, created_at
        )
        select (enqueue_alert_deliveries.alert).id, (enqueue_alert_deliveries.alert).workspace_id,
            (select pg_catalog.max(x.n) from pg_catalog.unnest(enqueue_alert_deliveries.tiers) as x (n)),
            enqueue_alert_deliveries.change, t.name, t.target ->> 'kind', t.target ->> 'url_secret',
            t.target ->> 'signing_secret',
            private.alert_payload(enqueue_alert_deliveries.alert, enqueue_alert_deliveries.change,
                (select pg_catalog.max(x.n) from pg_catalog.unnest(enqueue_alert_deliveries.tiers) as x (n)), enqueue_alert_deliveries.as_of),
            enqueue_alert_deliveries.as_of, enqueue_alert_deliveries.as_of
        from targets as t
        returning 1
    )
    select pg_catalog.count(*)::integer from inserted
$$;

comment on function private.enqueue_alert_deliveries(public.alerts, integer [], text, timestamptz) is
'Writes the outbox rows of a notification: one delivery per distinct target of the given tiers of the alert''s route, due at as_of. Returns how many.';

-- Why: signals become alerts here, in the transaction that raised them, so an alert is never lost
-- between a cause and its notification (issue 14). For each problem signal, every route that takes
-- it (first match, continue) finds the unresolved alert of (route, fingerprint), reopens one resolved
-- within the reopen window, or opens a new one; a recovery signal resolves the unresolved alerts of
-- its fingerprint. Alerts due at once (group_wait 0, first tier after 0 s) escalate in the same
-- transaction, so the first delivery is in the outbox when the cause commits.

create function private.reopen_window(route jsonb, body jsonb)
returns interval
language sql
immutable
parallel safe
set search_path = ''
as $$
    select pg_catalog.make_interval(secs => coalesce(
        (reopen_window.route ->> 'reopen_window_seconds')::double precision,
        (reopen_window.body #>> '{defaults,reopen_window_seconds}')::double precision,
        3600
    ))
$$;

comment on function private.reopen_window(jsonb, jsonb) is
'How long after resolution a recurring problem reopens its alert instead of opening a new one: the route''s reopen_window_seconds, else defaults.reopen_window_seconds, else 1 hour.';

create function private.first_escalation_at(route jsonb, opened_at timestamptz)
returns timestamptz
language sql
immutable
parallel safe
set search_path = ''
as $$
    -- Tier 1 is due group_wait after the alert (re)opened plus its own after_seconds.
    select first_escalation_at.opened_at + pg_catalog.make_interval(secs =>
        coalesce((first_escalation_at.route ->> 'group_wait_seconds')::double precision, 0)
        + coalesce((first_escalation_at.route #>> '{escalation,0,after_seconds}')::double precision, 0))
$$;

comment on function private.first_escalation_at(jsonb, timestamptz) is
'When an alert opened at opened_at reaches tier 1: after the route''s group_wait_seconds plus the first tier''s after_seconds.';

create function private.route_alert_signals(signal_ids bigint [])
returns void
language plpgsql
set search_path = ''
as $$
declare
    v_signal public.alert_signals;
    v_version public.alert_route_versions;
    v_labels jsonb;
    v_route record;
    v_alert public.alerts;
    v_due uuid [] := '{}'::uuid [];
    v_resolved public.alerts;
    v_as_of timestamptz;
begin
    for v_signal in
        select s.* from public.alert_signals as s where s.id = any(route_alert_signals.signal_ids) order by s.id
    loop
        v_as_of := v_signal.raised_at;
        if v_signal.is_recovery then
            -- A recovery resolves every unresolved alert of its fingerprint, on any route.
            for v_resolved in
                update public.alerts as a
                set status = 'resolved', resolved_at = v_as_of, resolved_by = 'system:recovery',
                    next_escalation_at = null, updated_at = v_as_of
                where a.workspace_id = v_signal.workspace_id
                  and a.fingerprint = v_signal.fingerprint
                  and a.status <> 'resolved'
                returning a.*
            loop
                perform private.note_alert_resolved(v_resolved, 'system:recovery',
                    'recovered: ' || v_signal.signal_type, v_signal.id, v_as_of);
            end loop;
            continue;
        end if;

        if v_version.id is null or v_version.workspace_id <> v_signal.workspace_id then
            v_version := private.current_route_version(v_signal.workspace_id);
        end if;
        if v_version.id is null then
            continue;  -- no routing published: the signal is recorded, nobody is paged
        end if;
        v_labels := private.signal_match_labels(v_signal.labels, v_signal.signal_type, v_signal.severity,
            v_signal.spec_name, v_signal.pool, v_signal.executor_id, v_signal.run_id);

        for v_route in select m.* from private.matching_routes(v_version.body, v_labels) as m order by m.ord loop
            -- GUARD: two transactions raising the same fingerprint: the partial unique index on
            -- unresolved alerts makes the second insert wait and then take the update path.
            select a.* into v_alert
            from public.alerts as a
            where a.workspace_id = v_signal.workspace_id
              and a.route_name = v_route.route_name
              and a.fingerprint = v_signal.fingerprint
              and a.status <> 'resolved'
            for update;
            if found then
                update public.alerts as a
                set signal_count = a.signal_count + 1,
                    last_signal_at = greatest(a.last_signal_at, v_as_of),
                    severity = case when private.severity_rank(v_signal.severity) > private.severity_rank(a.severity)
                        then v_signal.severity else a.severity end,
                    runs_affected = a.runs_affected + case when v_signal.run_id is not null and not exists (
                        select from public.alert_signals as p
                        where p.workspace_id = v_signal.workspace_id and p.fingerprint = v_signal.fingerprint
                          and p.raised_at >= a.opened_at and p.id < v_signal.id and p.run_id = v_signal.run_id
                    ) then 1 else 0 end,
                    subject = private.signal_subject(v_signal),
                    labels = v_labels,
                    updated_at = v_as_of
                where a.id = v_alert.id
                returning a.* into v_alert;
                insert into public.alert_changes (alert_id, workspace_id, change, from_status, to_status, tier, signal_id, actor, at)
                values (v_alert.id, v_alert.workspace_id, 'signal', v_alert.status, v_alert.status, v_alert.tier,
                    v_signal.id, 'system:signal', v_as_of);
            else
                select a.* into v_alert
                from public.alerts as a
                where a.workspace_id = v_signal.workspace_id
                  and a.route_name = v_route.route_name
                  and a.fingerprint = v_signal.fingerprint
                  and a.status = 'resolved'
                  and a.resolved_at >= v_as_of - private.reopen_window(v_route.route, v_version.body)
                order by a.resolved_at desc
                limit 1
                for update;
                if found then
                    update public.alerts as a
                    set status = 'open', opened_at = v_as_of, resolved_at = null, resolved_by = null,
                        acknowledged_at = null, acknowledged_by = null, tier = 0, suppressed_by = null,
                        route_version_id = v_version.id, group_key = v_route.group_key,
                        next_escalation_at = private.first_escalation_at(v_route.route, v_as_of),
                        severity = v_signal.severity, signal_count = a.signal_count + 1,
                        runs_affected = case when v_signal.run_id is null then 0 else 1 end,
                        last_signal_at = v_as_of, subject = private.signal_subject(v_signal),
                        labels = v_labels, updated_at = v_as_of
                    where a.id = v_alert.id
                    returning a.* into v_alert;
                    insert into public.alert_changes (alert_id, workspace_id, change, from_status, to_status, tier, signal_id, actor, at)
                    values (v_alert.id, v_alert.workspace_id, 'reopened', 'resolved', 'open', 0, v_signal.id, 'system:signal', v_as_of);
                else
                    insert into public.alerts (
                        workspace_id, fingerprint, route_version_id, route_name, group_key, signal_type, subject, labels,
                        status, severity, next_escalation_at, opened_at, first_signal_at, last_signal_at,
                        runs_affected, updated_at
                    )
                    values (
                        v_signal.workspace_id, v_signal.fingerprint, v_version.id, v_route.route_name, v_route.group_key,
                        v_signal.signal_type, private.signal_subject(v_signal), v_labels, 'open', v_signal.severity,
                        private.first_escalation_at(v_route.route, v_as_of), v_as_of, v_as_of, v_as_of,
                        case when v_signal.run_id is null then 0 else 1 end, v_as_of
                    )
                    returning * into v_alert;
                    insert into public.alert_changes (alert_id, workspace_id, change, from_status, to_status, tier, signal_id, actor, at)
                    values (v_alert.id, v_alert.workspace_id, 'opened', null, 'open', 0, v_signal.id, 'system:signal', v_as_of);
                end if;
            end if;
            update public.alerts as a set score = private.alert_score(v_alert, v_as_of)
            where a.id = v_alert.id;
            if v_alert.next_escalation_at <= v_as_of then
                v_due := v_due || v_alert.id;
            end if;
        end loop;
    end loop;

    if pg_catalog.cardinality(v_due) > 0 then
        perform private.escalate_alerts(v_due, v_as_of);
    end if;
end
$$;

comment on function private.route_alert_signals(bigint []) is
'Signals to alerts, in id order: a problem signal updates, reopens (within the reopen window) or opens the alert of (route, fingerprint) on every route that takes it, and escalates at once the alerts already due; a recovery signal resolves the unresolved alerts of its fingerprint. Audited in alert_changes with actor system:signal / system:recovery.';

create function private.alert_signals_after_insert()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
    perform private.route_alert_signals(array(select n.id from new_signals as n order by n.id));
    return null;
end
$$;

comment on function private.alert_signals_after_insert() is
'Trigger: routes the signals of the statement into alerts (private.route_alert_signals).';

create trigger alert_signals_after_insert
after insert on public.alert_signals
referencing new table as new_signals
for each statement execute function private.alert_signals_after_insert();

-- Why: escalation is PagerDuty's chain in SQL (issue 14): an open alert whose next_escalation_at has
-- passed reaches its next tier (deliveries to that tier's targets), then waits the next tier's
-- after_seconds; past the last tier it repeats every repeat_interval_seconds, if set. A silence or
-- an inhibiting alert holds the notification back (audited once as suppressed) and it is looked at
-- again a minute later. Acknowledging or resolving clears next_escalation_at, so nothing escalates
-- after it. Bounded: the sweep takes at most max_alerts due alerts per call, SKIP LOCKED.

create function private.signal_subject(signal public.alert_signals)
returns jsonb
language sql
immutable
parallel safe
set search_path = ''
as $$
    select pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
        'run_id', (signal_subject.signal).run_id,
        'spec', (signal_subject.signal).spec_name,
        'pool', (signal_subject.signal).pool,
        'executor_id', (signal_subject.signal).executor_id,
        'signal_id', (signal_subject.signal).id
    ))
$$;

comment on function private.signal_subject(public.alert_signals) is
'The subject of a signal as JSON (run_id, spec, pool, executor_id, signal_id), as alerts show it.';

create function private.note_alert_resolved(
    alert public.alerts, actor text, note text, signal_id bigint, as_of timestamptz
)
returns void
language plpgsql
set search_path = ''
as $$
begin
    insert into public.alert_changes (alert_id, workspace_id, change, from_status, to_status, tier, signal_id, actor, note, at)
    select (note_alert_resolved.alert).id, (note_alert_resolved.alert).workspace_id, 'resolved',
        c.to_status, 'resolved', (note_alert_resolved.alert).tier, note_alert_resolved.signal_id,
        note_alert_resolved.actor, note_alert_resolved.note, note_alert_resolved.as_of
    from (
        select ch.to_status from public.alert_changes as ch
        where ch.alert_id = (note_alert_resolved.alert).id
        order by ch.id desc
        limit 1
    ) as c;
    -- Whoever was paged hears that it is over (send_resolved, default true).
    if (note_alert_resolved.alert).tier >= 1
        and coalesce((private.alert_route(note_alert_resolved.alert) ->> 'send_resolved')::boolean, true) then
        perform private.enqueue_alert_deliveries(
            note_alert_resolved.alert,
            array(select pg_catalog.generate_series(1, (note_alert_resolved.alert).tier)),
            'resolved', note_alert_resolved.as_of
        );
    end if;
end
$$;

comment on function private.note_alert_resolved(public.alerts, text, text, bigint, timestamptz) is
'After an alert was resolved: its audit row (from the previous status) and, when it had reached a tier and the route sends resolved notices, a resolved delivery to the targets of every tier reached.';

create function private.escalate_alerts(alert_ids uuid [], as_of timestamptz)
returns integer
language plpgsql
set search_path = ''
as $$
declare
    v_alert public.alerts;
    v_route jsonb;
    v_body jsonb;
    v_tiers integer;
    v_silence uuid;
    v_inhibitor uuid;
    v_suppressed text;
    v_next_tier integer;
    v_change text;
    v_repeat double precision;
    v_notified integer := 0;
begin
    for v_alert in
        select a.* from public.alerts as a
        where a.id = any(escalate_alerts.alert_ids)
          and a.status = 'open'
          and a.next_escalation_at <= escalate_alerts.as_of
        order by a.next_escalation_at, a.id
        for update
    loop
        v_route := private.alert_route(v_alert);
        select v.body into v_body from public.alert_route_versions as v where v.id = v_alert.route_version_id;
        v_tiers := pg_catalog.jsonb_array_length(v_route -> 'escalation');
        v_repeat := (v_route ->> 'repeat_interval_seconds')::double precision;

        v_silence := private.active_silence(v_alert.workspace_id, v_alert.labels, escalate_alerts.as_of);
        v_inhibitor := case when v_silence is null
            then private.inhibiting_alert(v_alert.workspace_id, v_body, v_alert.id, v_alert.labels) end;
        v_suppressed := coalesce('silence:' || v_silence::text, 'inhibited:' || v_inhibitor::text);
        if v_suppressed is not null then
            -- Held back, looked at again a minute later; audited once per reason.
            update public.alerts as a
            set suppressed_by = v_suppressed,
                next_escalation_at = escalate_alerts.as_of + interval '1 minute',
                updated_at = escalate_alerts.as_of
            where a.id = v_alert.id;
            if v_alert.suppressed_by is distinct from v_suppressed then
                insert into public.alert_changes (alert_id, workspace_id, change, from_status, to_status, tier, actor, note, at)
                values (v_alert.id, v_alert.workspace_id, 'suppressed', 'open', 'open', v_alert.tier,
                    'system:escalation', v_suppressed, escalate_alerts.as_of);
            end if;
            continue;
        end if;

        v_next_tier := least(v_alert.tier + 1, v_tiers);
        v_change := case when v_next_tier > v_alert.tier then 'escalated' else 'repeated' end;
        update public.alerts as a
        set tier = v_next_tier,
            suppressed_by = null,
            last_notified_at = escalate_alerts.as_of,
            next_escalation_at = case
                when v_next_tier < v_tiers then escalate_alerts.as_of + pg_catalog.make_interval(secs =>
                    coalesce((v_route -> 'escalation' -> v_next_tier ->> 'after_seconds')::double precision, 0))
                when v_repeat > 0 then escalate_alerts.as_of + pg_catalog.make_interval(secs => v_repeat)
            end,
            updated_at = escalate_alerts.as_of
        where a.id = v_alert.id
        returning a.* into v_alert;
        insert into public.alert_changes (alert_id, workspace_id, change, from_status, to_status, tier, actor, at)
        values (v_alert.id, v_alert.workspace_id, v_change, 'open', 'open', v_next_tier, 'system:escalation',
            escalate_alerts.as_of);
        perform private.enqueue_alert_deliveries(v_alert, array[v_next_tier], v_change, escalate_alerts.as_of);
        v_notified := v_notified + 1;
    end loop;
    return v_notified;
end
$$;

comment on function private.escalate_alerts(uuid [], timestamptz) is
'Moves the given open alerts whose next_escalation_at has passed to their next tier (or repeats the last tier), writing the audit row and the deliveries; a matching silence or inhibiting alert holds the notification back for a minute (audited once as suppressed). Returns how many were notified.';

create function private.escalate_due_alerts(as_of timestamptz, max_alerts integer, workspace_id uuid default null)
returns integer
language plpgsql
set search_path = ''
as $$
declare
    v_ids uuid [];
begin
    -- GUARD: two sweeps (pg_cron and a dispatcher's claim) never take the same alert: SKIP LOCKED.
    select pg_catalog.array_agg(d.id) into v_ids
    from (
        select a.id
        from public.alerts as a
        where a.next_escalation_at <= escalate_due_alerts.as_of
          and (escalate_due_alerts.workspace_id is null or a.workspace_id = escalate_due_alerts.workspace_id)
        order by a.next_escalation_at
        limit escalate_due_alerts.max_alerts
        for update skip locked
    ) as d;
    if v_ids is null then
        return 0;
    end if;
    return private.escalate_alerts(v_ids, escalate_due_alerts.as_of);
end
$$;

comment on function private.escalate_due_alerts(timestamptz, integer, uuid) is
'The escalation sweep, bounded: up to max_alerts alerts whose next_escalation_at has passed (optionally of one workspace), oldest due first, SKIP LOCKED, through private.escalate_alerts. Returns how many were notified.';

-- Why: the routing matrix is reviewed in Git and published like a spec (issue 14): `controlroom
-- routes publish` parses specs/routing/*.yaml into one JSON document and calls this. Versions are
-- immutable; the same content as the current version again changes nothing (unchanged), so
-- publishing from CI on every push is safe. Workspace admins and the service role publish.

create function private.assert_alert_admin(workspace_id uuid, what text)
returns text
language plpgsql
stable
set search_path = ''
as $$
declare
    v_actor text := private.caller_actor();
begin
    if v_actor is null then
        raise exception 'only workspace admins and the service role %', assert_alert_admin.what
        using errcode = '42501',
        detail = pg_catalog.format('The caller''s role is %s.', private.caller_role()),
        hint = 'Sign in as a workspace admin or use the service role.';
    end if;
    if private.caller_role() = 'authenticated' then
        if not private.is_member(assert_alert_admin.workspace_id, 'viewer') then
            raise exception 'workspace % not found', assert_alert_admin.workspace_id
            using errcode = 'PT404',
            detail = 'No workspace with this id is visible to the caller.',
            hint = 'Check the workspace id.';
        end if;
        if not private.is_member(assert_alert_admin.workspace_id, 'admin') then
            raise exception 'only workspace admins and the service role %', assert_alert_admin.what
            using errcode = '42501',
            detail = 'This needs the admin role in the workspace.',
            hint = 'Ask a workspace owner for the admin role.';
        end if;
    elsif not exists (select from public.workspaces as w where w.id = assert_alert_admin.workspace_id) then
        raise exception 'workspace % not found', assert_alert_admin.workspace_id
        using errcode = 'PT404',
        detail = 'No workspace with this id exists.',
        hint = 'Check the workspace id.';
    end if;
    return v_actor;
end
$$;

comment on function private.assert_alert_admin(uuid, text) is
'Who may manage a workspace''s routing and silences: the service role, or a member with the admin role (42501 otherwise; PT404 for a workspace the caller cannot see). Returns the audit actor.';

create function private.assert_valid_routes(body jsonb)
returns void
language plpgsql
immutable
set search_path = ''
as $$
declare
    v_problem record;
begin
    if pg_catalog.octet_length(assert_valid_routes.body::text) > 262144 then
        raise exception 'routing document is too large: % bytes, the limit is 262144 bytes',
            pg_catalog.octet_length(assert_valid_routes.body::text)
        using errcode = 'PT413',
        detail = 'A routing document is at most 256 KiB.',
        hint = 'Split long target lists or routes; group similar routes with globs.';
    end if;
    select p.* into v_problem from private.first_routes_problem(assert_valid_routes.body) as p;
    if found then
        raise exception 'invalid routing document: % %', v_problem.path, v_problem.problem
        using errcode = '22023',
        detail = pg_catalog.format('path=%s', v_problem.path),
        hint = 'Run controlroom routes validate on the routing files (docs/alerting.md).';
    end if;
end
$$;

comment on function private.assert_valid_routes(jsonb) is
'Raises PT413 for a routing document over 256 KiB and 22023 with the JSON path of the first bad field (private.first_routes_problem); otherwise nothing.';

create function public.publish_routes(workspace_id uuid, body jsonb, as_of timestamptz default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_as_of timestamptz := private.clock(publish_routes.as_of);
    v_actor text := private.assert_alert_admin(publish_routes.workspace_id, 'publish routes');
    v_hash text;
    v_current public.alert_route_versions;
    v_new public.alert_route_versions;
begin
    perform private.assert_valid_routes(publish_routes.body);
    v_hash := private.spec_hash(publish_routes.body);
    -- GUARD: two concurrent publishes of one workspace: the second waits, then sees the first.
    perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('alert_routes:' || publish_routes.workspace_id::text, 0));
    v_current := private.current_route_version(publish_routes.workspace_id);
    if v_current.routes_hash = v_hash then
        return pg_catalog.jsonb_build_object(
            'outcome', 'unchanged', 'version', v_current.version, 'routes_hash', v_current.routes_hash,
            'route_version_id', v_current.id, 'published_at', v_current.published_at
        );
    end if;
    insert into public.alert_route_versions (workspace_id, version, routes_hash, body, published_by, published_at)
    values (publish_routes.workspace_id, coalesce(v_current.version, 0) + 1, v_hash, publish_routes.body,
        v_actor, v_as_of)
    returning * into v_new;
    return pg_catalog.jsonb_build_object(
        'outcome', 'published', 'version', v_new.version, 'routes_hash', v_new.routes_hash,
        'route_version_id', v_new.id, 'published_at', v_new.published_at
    );
end
$$;

comment on function public.publish_routes(uuid, jsonb, timestamptz) is
'Publishes a routing document ({routes, inhibit_rules, targets, defaults}) as the workspace''s next immutable version; the same content as the current version is a no-op (outcome unchanged). Validated (22023 with the JSON path, PT413 over 256 KiB). Workspace admins and the service role.';

revoke execute on function public.publish_routes(uuid, jsonb, timestamptz) from public, anon, authenticated;
grant execute on function public.publish_routes(uuid, jsonb, timestamptz) to authenticated, service_role;

-- Why: silences mute known noise for a while (Alertmanager's `amtool silence add`): `controlroom
-- silence add|list|expire`. Every silence has matchers, a required comment and an end; listing
-- reads public.alert_silences under RLS. Workspace admins and the service role manage them.

create function public.add_silence(
    workspace_id uuid, matchers jsonb, ends_at timestamptz, comment text, as_of timestamptz default null
)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_as_of timestamptz := private.clock(add_silence.as_of);
    v_actor text := private.assert_alert_admin(add_silence.workspace_id, 'add silences');
    v_problem record;
    v_silence public.alert_silences;
begin
    select p.* into v_problem from private.first_matcher_problem('$.matchers', add_silence.matchers) as p;
    if found then
        raise exception 'invalid silence: % %', v_problem.path, v_problem.problem
        using errcode = '22023',
        detail = pg_catalog.format('path=%s', v_problem.path),
        hint = 'Matchers are the keys of a route''s match: signal_type, severity, spec, pool, executor_id, run_id, labels.';
    end if;
    if add_silence.matchers = '{}'::jsonb then
        raise exception 'invalid silence: $.matchers must name at least one matcher'
        using errcode = '22023',
        detail = 'path=$.matchers',
        hint = 'A silence that matches everything would mute every page; name what to silence.';
    end if;
    if add_silence.ends_at is null or add_silence.ends_at <= v_as_of
        or add_silence.ends_at > v_as_of + interval '366 days' then
        raise exception 'invalid silence: ends_at must be after now and within 366 days'
        using errcode = '22023',
        detail = pg_catalog.format('ends_at=%s now=%s', coalesce(add_silence.ends_at::text, 'null'), v_as_of),
        hint = 'Give an end such as now + 2 hours.';
    end if;
    if coalesce(pg_catalog.char_length(add_silence.comment), 0) not between 1 and 2000 then
        raise exception 'invalid silence: comment must be 1 to 2000 characters'
        using errcode = '22023',
        detail = 'path=$.comment',
        hint = 'Say why the alerts are silenced (a ticket, a maintenance window).';
    end if;
    insert into public.alert_silences (workspace_id, matchers, starts_at, ends_at, comment, created_by, created_at)
    values (add_silence.workspace_id, add_silence.matchers, v_as_of, add_silence.ends_at, add_silence.comment,
        v_actor, v_as_of)
    returning * into v_silence;
    return pg_catalog.jsonb_build_object(
        'outcome', 'added', 'silence_id', v_silence.id, 'workspace_id', v_silence.workspace_id,
        'matchers', v_silence.matchers, 'starts_at', v_silence.starts_at, 'ends_at', v_silence.ends_at
    );
end
$$;

comment on function public.add_silence(uuid, jsonb, timestamptz, text, timestamptz) is
'Adds a silence: matching alerts are not delivered from now until ends_at (at most 366 days). Matchers as in a route (at least one), a comment is required (22023 otherwise). Workspace admins and the service role.';

revoke execute on function public.add_silence(uuid, jsonb, timestamptz, text, timestamptz) from public, anon, authenticated;
grant execute on function public.add_silence(uuid, jsonb, timestamptz, text, timestamptz) to authenticated, service_role;

create function public.expire_silence(silence_id uuid, as_of timestamptz default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_as_of timestamptz := private.clock(expire_silence.as_of);
    v_silence public.alert_silences;
    v_actor text;
begin
    select s.* into v_silence from public.alert_silences as s where s.id = expire_silence.silence_id;
    if not found or (private.caller_role() = 'authenticated' and not private.is_member(v_silence.workspace_id, 'viewer')) then
        raise exception 'silence % not found', expire_silence.silence_id
        using errcode = 'PT404',
        detail = 'No silence with this id is visible to the caller.',
        hint = 'List silences with controlroom silence list.';
    end if;
    v_actor := private.assert_alert_admin(v_silence.workspace_id, 'expire silences');
    -- GUARD: already over (expired early or past its end): nothing changes, and the reply says so.
    if v_silence.expired_at is not null or v_silence.ends_at <= v_as_of then
        return pg_catalog.jsonb_build_object(
            'outcome', 'already_expired', 'silence_id', v_silence.id,
            'ends_at', v_silence.ends_at, 'expired_at', v_silence.expired_at
        );
    end if;
    update public.alert_silences as s
    set expired_at = v_as_of, expired_by = v_actor
    where s.id = v_silence.id
    returning s.* into v_silence;
    return pg_catalog.jsonb_build_object(
        'outcome', 'expired', 'silence_id', v_silence.id,
        'ends_at', v_silence.ends_at, 'expired_at', v_silence.expired_at
    );
end
$$;

comment on function public.expire_silence(uuid, timestamptz) is
'Ends a silence now (outcome expired), or says already_expired when it had ended. Workspace admins and the service role; PT404 for a silence the caller cannot see.';

revoke execute on function public.expire_silence(uuid, timestamptz) from public, anon, authenticated;
grant execute on function public.expire_silence(uuid, timestamptz) to authenticated, service_role;

-- Why: "who would be paged if this run fails?" must have an answer before it happens (issue 14,
-- like `amtool config routes test`): test_routes evaluates a signal against the published routing
-- (or an unpublished document, for `controlroom routes test --file`) with the same helpers the
-- router uses, and says which routes take it, its group key, whether a silence or an inhibiting
-- alert would hold it back, and the tier and targets it would reach now. It changes nothing.

create function private.first_test_signal_problem(signal jsonb)
returns table (path text, problem text)
language sql
immutable
parallel safe
set search_path = ''
as $$
    with problems (n, path, problem) as (
        select 1, '$.signal', 'must be an object {signal_type, severity, spec, pool, labels, executor_id, run_id, fingerprint}'
        where pg_catalog.jsonb_typeof(first_test_signal_problem.signal) is distinct from 'object'
        union all
        select 2, '$.signal.' || k.key, 'is not a key of a signal'
        from pg_catalog.jsonb_object_keys(
            case when pg_catalog.jsonb_typeof(first_test_signal_problem.signal) = 'object'
                then first_test_signal_problem.signal else '{}'::jsonb end
        ) as k (key)
        where k.key not in ('signal_type', 'severity', 'spec', 'pool', 'labels', 'executor_id', 'run_id', 'fingerprint')
        union all
        select 3, '$.signal.signal_type', 'must be one of ' || pg_catalog.array_to_string(private.alert_signal_types(), ', ')
        where pg_catalog.jsonb_typeof(first_test_signal_problem.signal) = 'object'
          and coalesce(first_test_signal_problem.signal ->> 'signal_type', '') <> all(private.alert_signal_types())
        union all
        select 4, '$.signal.severity', 'must be critical, warning or info'
        where pg_catalog.jsonb_typeof(first_test_signal_problem.signal) = 'object'
          and coalesce(first_test_signal_problem.signal ->> 'severity', 'critical') not in ('critical', 'warning', 'info')
        union all
        select 5, '$.signal.labels', 'must be an object of label: string'
        where pg_catalog.jsonb_typeof(first_test_signal_problem.signal) = 'object'
          and first_test_signal_problem.signal ? 'labels'
          and (pg_catalog.jsonb_typeof(first_test_signal_problem.signal -> 'labels') <> 'object'
              or pg_catalog.jsonb_path_exists(first_test_signal_problem.signal -> 'labels', '$.* ? (@.type() != "string")'))
        union all
        select 6, '$.signal.' || k.key, 'must be a uuid'
        from pg_catalog.unnest(array['executor_id', 'run_id']) as k (key)
        where pg_catalog.jsonb_typeof(first_test_signal_problem.signal) = 'object'
          and first_test_signal_problem.signal ? k.key
          and not private.is_uuid(first_test_signal_problem.signal ->> k.key)
    )
    select p.path, p.problem from problems as p order by p.n limit 1
$$;

comment on function private.first_test_signal_problem(jsonb) is
'The first problem of a test signal for test_routes (JSON path, what is wrong), or no row.';

create function public.test_routes(
    workspace_id uuid, signal jsonb, body jsonb default null, as_of timestamptz default null
)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
    v_as_of timestamptz := private.clock(test_routes.as_of);
    v_problem record;
    v_version public.alert_route_versions;
    v_body jsonb;
    v_labels jsonb;
    v_fingerprint text;
    v_routes jsonb;
begin
    if not (private.caller_is_service_or_owner()
        or (private.caller_role() = 'authenticated' and private.is_member(test_routes.workspace_id, 'viewer'))) then
        raise exception 'workspace % not found', test_routes.workspace_id
        using errcode = 'PT404',
        detail = 'No workspace with this id is visible to the caller.',
        hint = 'Check the workspace id; members (viewer and up) and the service role test routes.';
    end if;
    select p.* into v_problem from private.first_test_signal_problem(test_routes.signal) as p;
    if found then
        raise exception 'invalid signal: % %', v_problem.path, v_problem.problem
        using errcode = '22023',
        detail = pg_catalog.format('path=%s', v_problem.path),
        hint = 'A test signal is {"signal_type": "run_failed", "severity": "critical", "spec": "etl", "pool": "default"}.';
    end if;
    if test_routes.body is null then
        v_version := private.current_route_version(test_routes.workspace_id);
        v_body := v_version.body;
    else
        perform private.assert_valid_routes(test_routes.body);
        v_body := test_routes.body;
    end if;
    v_labels := private.signal_match_labels(
        test_routes.signal -> 'labels', test_routes.signal ->> 'signal_type',
        coalesce(test_routes.signal ->> 'severity', 'critical'), test_routes.signal ->> 'spec',
        test_routes.signal ->> 'pool', (test_routes.signal ->> 'executor_id')::uuid, (test_routes.signal ->> 'run_id')::uuid
    );
    v_fingerprint := test_routes.signal ->> 'fingerprint';

    select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
        'order', m.ord,
        'name', m.route_name,
        'continue', coalesce((m.route ->> 'continue')::boolean, false),
        'group_key', m.group_key,
        'group_wait_seconds', coalesce((m.route ->> 'group_wait_seconds')::integer, 0),
        'repeat_interval_seconds', (m.route ->> 'repeat_interval_seconds')::integer,
        'existing_alert', a.id,
        'existing_status', a.status,
        'tier_now', coalesce(a.tier, 0),
        'next_tier', t.next_tier,
        'next_tier_after_seconds', (m.route -> 'escalation' -> (t.next_tier - 1) ->> 'after_seconds')::integer,
        'targets', (
            select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                'name', tg.name, 'kind', v_body -> 'targets' -> tg.name ->> 'kind'
            ) order by tg.n), '[]'::jsonb)
            from pg_catalog.jsonb_array_elements_text(m.route -> 'escalation' -> (t.next_tier - 1) -> 'targets')
                with ordinality as tg (name, n)
        ),
        'escalation', m.route -> 'escalation',
        'silenced_by', private.active_silence(test_routes.workspace_id, v_labels, v_as_of),
        'inhibited_by', private.inhibiting_alert(test_routes.workspace_id, v_body, a.id, v_labels)
    ) order by m.ord), '[]'::jsonb)
    into v_routes
    from private.matching_routes(v_body, v_labels) as m
    left join lateral (
        select al.* from public.alerts as al
        where al.workspace_id = test_routes.workspace_id and al.route_name = m.route_name
          and al.fingerprint = v_fingerprint and al.status <> 'resolved'
        limit 1
    ) as a on true
    cross join lateral (
        select least(coalesce(a.tier, 0) + 1, pg_catalog.jsonb_array_length(m.route -> 'escalation')) as next_tier
    ) as t;

    return pg_catalog.jsonb_build_object(
        'workspace_id', test_routes.workspace_id,
        'source', case when test_routes.body is not null then 'document' when v_version.id is null then 'none' else 'published' end,
        'version', v_version.version,
        'routes_hash', coalesce(v_version.routes_hash, case when test_routes.body is not null then private.spec_hash(test_routes.body) end),
        'labels', v_labels,
        'matched', pg_catalog.jsonb_array_length(v_routes) > 0,
        'routes', v_routes
    );
end
$$;

comment on function public.test_routes(uuid, jsonb, jsonb, timestamptz) is
'Which routes would take a signal ({signal_type, severity, spec, pool, labels, executor_id, run_id, fingerprint}), in order with continue: group key, silence or inhibiting alert that would hold it back, the tier it would reach next and its targets. Against the published routing (body null) or the given document. Changes nothing. Members (viewer and up) and the service role.';

revoke execute on function public.test_routes(uuid, jsonb, jsonb, timestamptz) from public, anon, authenticated;
grant execute on function public.test_routes(uuid, jsonb, jsonb, timestamptz) to authenticated, service_role;

-- Why: a person takes an alert (acknowledge: escalation stops, nobody else is paged) and closes it
-- (resolve), through RPCs so the state machine and the audit hold (issue 14). Workspace operators
-- and up, and the service role; a repeated call changes nothing and says duplicate.

create function private.visible_alert(alert_id uuid, min_role text)
returns public.alerts
language plpgsql
set search_path = ''
as $$
declare
    v_alert public.alerts;
begin
    if private.caller_actor() is null then
        raise exception 'only workspace members and the service role act on alerts'
        using errcode = '42501',
        detail = pg_catalog.format('The caller''s role is %s.', private.caller_role()),
        hint = 'Sign in as a workspace operator or use the service role.';
    end if;
    select a.* into v_alert from public.alerts as a where a.id = visible_alert.alert_id for update;
    if not found or (private.caller_role() = 'authenticated' and not private.is_member(v_alert.workspace_id, 'viewer')) then
        raise exception 'alert % not found', visible_alert.alert_id
        using errcode = 'PT404',
        detail = 'No alert with this id is visible to the caller.',
        hint = 'List alerts with controlroom alerts.';
    end if;
    if private.caller_role() = 'authenticated' and not private.is_member(v_alert.workspace_id, visible_alert.min_role) then
        raise exception 'viewers cannot acknowledge or resolve alerts'
        using errcode = '42501',
        detail = pg_catalog.format('This needs the %s role in the workspace.', visible_alert.min_role),
        hint = 'Ask a workspace admin for the operator role.';
    end if;
    return v_alert;
end
$$;

comment on function private.visible_alert(uuid, text) is
'The alert, locked, when the caller may act on it: the service role, or a member holding min_role (42501 for viewers and other roles; PT404 for an alert the caller cannot see).';

create function private.alert_reply(outcome text, alert public.alerts)
returns jsonb
language sql
stable
set search_path = ''
as $$
    select pg_catalog.jsonb_build_object(
        'outcome', alert_reply.outcome,
        'alert_id', (alert_reply.alert).id,
        'status', (alert_reply.alert).status,
        'tier', (alert_reply.alert).tier,
        'acknowledged_at', (alert_reply.alert).acknowledged_at,
        'acknowledged_by', (alert_reply.alert).acknowledged_by,
        'resolved_at', (alert_reply.alert).resolved_at,
        'resolved_by', (alert_reply.alert).resolved_by
    )
$$;

comment on function private.alert_reply(text, public.alerts) is
'The body acknowledge_alert and resolve_alert answer: outcome, alert id, status, tier and who acknowledged/resolved it when.';

create function public.acknowledge_alert(alert_id uuid, note text default null, as_of timestamptz default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_as_of timestamptz := private.clock(acknowledge_alert.as_of);
    v_alert public.alerts := private.visible_alert(acknowledge_alert.alert_id, 'operator');
    v_actor text := private.caller_actor();
begin
    if pg_catalog.char_length(acknowledge_alert.note) > 2000 then
        raise exception 'note is too long: % characters, the limit is 2000', pg_catalog.char_length(acknowledge_alert.note)
        using errcode = '22023', detail = 'path=$.note', hint = 'Keep the note short; link a ticket.';
    end if;
    -- GUARD: acknowledged already (a retried call): nothing changes.
    if v_alert.status = 'acknowledged' then
        return private.alert_reply('duplicate', v_alert);
    end if;
    if v_alert.status = 'resolved' then
        raise exception 'alert % is resolved and cannot be acknowledged', v_alert.id
        using errcode = 'PT422',
        detail = pg_catalog.format('Resolved at %s by %s.', v_alert.resolved_at, v_alert.resolved_by),
        hint = 'Nothing to acknowledge; a recurrence reopens it.';
    end if;
    update public.alerts as a
    set status = 'acknowledged', acknowledged_at = v_as_of, acknowledged_by = v_actor,
        next_escalation_at = null, updated_at = v_as_of
    where a.id = v_alert.id
    returning a.* into v_alert;
    insert into public.alert_changes (alert_id, workspace_id, change, from_status, to_status, tier, actor, note, at)
    values (v_alert.id, v_alert.workspace_id, 'acknowledged', 'open', 'acknowledged', v_alert.tier, v_actor,
        acknowledge_alert.note, v_as_of);
    return private.alert_reply('acknowledged', v_alert);
end
$$;

comment on function public.acknowledge_alert(uuid, text, timestamptz) is
'Acknowledges an open alert: escalation stops (no further tier or repeat). duplicate when already acknowledged; PT422 when resolved. Workspace operators and up, and the service role.';

revoke execute on function public.acknowledge_alert(uuid, text, timestamptz) from public, anon, authenticated;
grant execute on function public.acknowledge_alert(uuid, text, timestamptz) to authenticated, service_role;

create function public.resolve_alert(alert_id uuid, note text default null, as_of timestamptz default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_as_of timestamptz := private.clock(resolve_alert.as_of);
    v_alert public.alerts := private.visible_alert(resolve_alert.alert_id, 'operator');
    v_actor text := private.caller_actor();
begin
    if pg_catalog.char_length(resolve_alert.note) > 2000 then
        raise exception 'note is too long: % characters, the limit is 2000', pg_catalog.char_length(resolve_alert.note)
        using errcode = '22023', detail = 'path=$.note', hint = 'Keep the note short; link a ticket.';
    end if;
    -- GUARD: resolved already (a retried call, or a recovery got there first): nothing changes.
    if v_alert.status = 'resolved' then
        return private.alert_reply('duplicate', v_alert);
    end if;
    update public.alerts as a
    set status = 'resolved', resolved_at = v_as_of, resolved_by = v_actor,
        next_escalation_at = null, updated_at = v_as_of
    where a.id = v_alert.id
    returning a.* into v_alert;
    perform private.note_alert_resolved(v_alert, v_actor, resolve_alert.note, null, v_as_of);
    return private.alert_reply('resolved', v_alert);
end
$$;

comment on function public.resolve_alert(uuid, text, timestamptz) is
'Resolves an open or acknowledged alert (escalation stops; the targets of the tiers reached get a resolved notice when the route sends them). duplicate when already resolved. Workspace operators and up, and the service role.';

revoke execute on function public.resolve_alert(uuid, text, timestamptz) from public, anon, authenticated;
grant execute on function public.resolve_alert(uuid, text, timestamptz) to authenticated, service_role;

create function public.explain_alert_score(alert_id uuid, as_of timestamptz default null)
returns table (
    factor text,
    raw double precision,
    normalised double precision,
    weight double precision,
    contribution double precision
)
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_as_of timestamptz := private.clock(explain_alert_score.as_of);
    v_alert public.alerts;
begin
    select a.* into v_alert from public.alerts as a where a.id = explain_alert_score.alert_id;
    if not found or (
        private.caller_role() = 'authenticated' and not private.is_member(v_alert.workspace_id, 'viewer')
    ) or (private.caller_role() <> 'authenticated' and not private.caller_is_service_or_owner()) then
        raise exception 'alert % not found', explain_alert_score.alert_id
        using errcode = 'PT404',
        detail = 'No alert with this id is visible to the caller.',
        hint = 'Check the alert id and the workspace you are a member of.';
    end if;
    return query
    select f.factor, f.raw, f.normalised, f.weight, f.contribution
    from private.alert_score_factors(v_alert, v_as_of) as f;
    return query
    select 'total', null::double precision, null::double precision, null::double precision,
        private.alert_score(v_alert, v_as_of);
    return query
    select 'stored', null::double precision, null::double precision, null::double precision, v_alert.score;
end
$$;

comment on function public.explain_alert_score(uuid, timestamptz) is
'Every factor of an alert''s score at as_of (severity, runs_affected, deadline, spec_criticality): raw value, normalised value, weight, contribution; then total (their sum) and stored (alerts.score as of its last signal). Members (viewer and up) and the service role; others get PT404.';

revoke execute on function public.explain_alert_score(uuid, timestamptz) from public, anon, authenticated;
grant execute on function public.explain_alert_score(uuid, timestamptz) to authenticated, service_role;

-- Why: the alert-dispatch Edge Function takes notifications from the outbox with the executors'
-- lease pattern (0520, 0505): a claim is one statement, SKIP LOCKED, each claim a new lease token,
-- and a delivery whose lease expired (a crashed dispatcher) is claimable again, so two dispatchers
-- never hold one delivery and none is lost. Before claiming it runs the due alert work, bounded,
-- so escalation is timely whenever a dispatcher polls (pg_cron runs the same every minute).
-- Service role only: the Edge Function runs with the service-role key.

create function private.assert_dispatcher_caller()
returns void
language plpgsql
stable
set search_path = ''
as $$
begin
    if not private.caller_is_service_or_owner() then
        raise exception 'only the service role dispatches alert deliveries'
        using errcode = '42501',
        detail = pg_catalog.format('The caller''s role is %s.', private.caller_role()),
        hint = 'The alert-dispatch Edge Function calls this with the service-role key.';
    end if;
end
$$;

comment on function private.assert_dispatcher_caller() is
'Raises 42501 unless the caller is the service role or the database owner (the dispatcher RPCs).';

create function private.delivery_max_attempts()
returns integer
language sql
immutable
parallel safe
set search_path = ''
as $$
    select 8
$$;

comment on function private.delivery_max_attempts() is
'Attempts of a delivery before it is dead (8).';

create function public.claim_deliveries(
    dispatcher text,
    max_deliveries integer default 50,
    lease_seconds integer default 30,
    as_of timestamptz default null
)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_as_of timestamptz := private.clock(claim_deliveries.as_of);
    v_notified integer;
    v_deliveries jsonb;
begin
    perform private.assert_dispatcher_caller();
    if coalesce(pg_catalog.char_length(claim_deliveries.dispatcher), 0) not between 1 and 200 then
        raise exception 'dispatcher must be 1 to 200 characters'
        using errcode = '22023', detail = 'path=$.dispatcher', hint = 'Name the dispatcher (host and process).';
    end if;
    if claim_deliveries.max_deliveries is null or claim_deliveries.max_deliveries not between 1 and 500 then
        raise exception 'max_deliveries must be between 1 and 500'
        using errcode = '22023', detail = pg_catalog.format('max_deliveries=%s', claim_deliveries.max_deliveries),
        hint = 'Claim at most 500 deliveries per call.';
    end if;
    if claim_deliveries.lease_seconds is null or claim_deliveries.lease_seconds not between 1 and 3600 then
        raise exception 'lease_seconds must be between 1 and 3600'
        using errcode = '22023', detail = pg_catalog.format('lease_seconds=%s', claim_deliveries.lease_seconds),
        hint = 'A lease covers one send with its timeout, e.g. 30 seconds.';
    end if;

    v_notified := private.escalate_due_alerts(v_as_of, 200);

    with candidates as (
        (
            select d.id
            from public.alert_deliveries as d
            where d.status in ('pending', 'failed') and d.next_attempt_at <= v_as_of
            order by d.next_attempt_at
            limit claim_deliveries.max_deliveries
        )
        union all
        (
            -- A crashed dispatcher's deliveries: the lease ran out without a report.
            select d.id
            from public.alert_deliveries as d
            where d.status = 'leased' and d.lease_expires_at <= v_as_of
            order by d.lease_expires_at
            limit claim_deliveries.max_deliveries
        )
    ),
    locked as (
        -- GUARD: a delivery another dispatcher is claiming right now is skipped, never shared.
        select d.id, d.status as old_status, d.lease_token as old_token, d.dispatcher as old_dispatcher,
            d.attempts as old_attempts
        from public.alert_deliveries as d
        where d.id in (select c.id from candidates as c)
          and ((d.status in ('pending', 'failed') and d.next_attempt_at <= v_as_of)
              or (d.status = 'leased' and d.lease_expires_at <= v_as_of))
        order by d.next_attempt_at, d.id
        limit claim_deliveries.max_deliveries
        for update skip locked
    ),
    expired as (
        -- Every attempt is recorded: the one a crashed dispatcher never reported, too.
        insert into public.alert_delivery_attempts (
            delivery_id, workspace_id, attempt, lease_token, dispatcher, outcome, error, at
        )
        select l.id, d.workspace_id, l.old_attempts, l.old_token, l.old_dispatcher, 'expired',
            'lease expired without a report (dispatcher crashed or timed out)', v_as_of
        from locked as l
        inner join public.alert_deliveries as d on d.id = l.id
        where l.old_status = 'leased'
    ),
    claimed as (
        update public.alert_deliveries as d
        set status = case when d.attempts >= private.delivery_max_attempts() then 'dead' else 'leased' end,
            attempts = case when d.attempts >= private.delivery_max_attempts() then d.attempts else d.attempts + 1 end,
            lease_token = case when d.attempts >= private.delivery_max_attempts() then d.lease_token
                else pg_catalog.gen_random_uuid() end,
            lease_expires_at = case when d.attempts >= private.delivery_max_attempts() then null
                else v_as_of + pg_catalog.make_interval(secs => claim_deliveries.lease_seconds) end,
            dispatcher = case when d.attempts >= private.delivery_max_attempts() then null
                else claim_deliveries.dispatcher end,
            finished_at = case when d.attempts >= private.delivery_max_attempts() then v_as_of end,
            last_error = case when d.attempts >= private.delivery_max_attempts()
                then 'attempts exhausted: the last lease expired without a report' else d.last_error end
        from locked as l
        where d.id = l.id
        returning d.*
    )
    select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
        'id', c.id,
        'lease_token', c.lease_token,
        'lease_expires_at', c.lease_expires_at,
        'attempt', c.attempts,
        'alert_id', c.alert_id,
        'workspace_id', c.workspace_id,
        'tier', c.tier,
        'change', c.change,
        'target', pg_catalog.jsonb_build_object(
            'name', c.target_name, 'kind', c.target_kind,
            'url_secret', c.url_secret, 'signing_secret', c.signing_secret
        ),
        'payload', c.payload
    ) order by c.next_attempt_at, c.id) filter (where c.status = 'leased'), '[]'::jsonb)
    into v_deliveries
    from claimed as c;

    return pg_catalog.jsonb_build_object('deliveries', v_deliveries, 'alerts_notified', v_notified, 'as_of', v_as_of);
end
$$;

comment on function public.claim_deliveries(text, integer, integer, timestamptz) is
'Dispatcher claim: first the due alert work (escalation, bounded to 200 alerts), then up to max_deliveries due deliveries (pending, failed past their backoff, or leased with an expired lease) with a new lease token each, SKIP LOCKED. An expired lease is recorded as an expired attempt; past 8 attempts the delivery is dead. Returns {deliveries: [{id, lease_token, lease_expires_at, attempt, alert_id, workspace_id, tier, change, target {name, kind, url_secret, signing_secret}, payload}], alerts_notified, as_of}. Service role only.';

revoke execute on function public.claim_deliveries(text, integer, integer, timestamptz) from public, anon, authenticated;
grant execute on function public.claim_deliveries(text, integer, integer, timestamptz) to service_role;

create function public.finish_delivery(
    lease_token uuid,
    outcome text,
    status_code integer default null,
    latency_ms integer default null,
    error text default null,
    as_of timestamptz default null
)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_as_of timestamptz := private.clock(finish_delivery.as_of);
    v_delivery public.alert_deliveries;
    v_previous public.alert_delivery_attempts;
begin
    perform private.assert_dispatcher_caller();
    if finish_delivery.lease_token is null then
        raise exception 'lease_token is required'
        using errcode = '22023', detail = 'path=$.lease_token', hint = 'Send the lease_token claim_deliveries gave.';
    end if;
    if finish_delivery.outcome is null or finish_delivery.outcome not in ('sent', 'failed') then
        raise exception 'outcome must be sent or failed'
        using errcode = '22023', detail = pg_catalog.format('outcome=%s', coalesce(finish_delivery.outcome, 'null')),
        hint = 'sent: the receiver answered 2xx; failed: anything else (status, timeout, connection error).';
    end if;
    if finish_delivery.status_code not between 100 and 599 or finish_delivery.latency_ms < 0 then
        raise exception 'status_code must be an HTTP status (100-599) and latency_ms not negative'
        using errcode = '22023',
        detail = pg_catalog.format('status_code=%s latency_ms=%s', finish_delivery.status_code, finish_delivery.latency_ms),
        hint = 'Send null for a missing status code (timeout, connection error).';
    end if;

    -- GUARD: the same report again (a retried HTTP call): nothing changes.
    select a.* into v_previous from public.alert_delivery_attempts as a where a.lease_token = finish_delivery.lease_token;
    if found and v_previous.outcome in ('sent', 'failed') then
        select d.* into v_delivery from public.alert_deliveries as d where d.id = v_previous.delivery_id;
        return pg_catalog.jsonb_build_object(
            'outcome', 'duplicate', 'delivery_id', v_delivery.id, 'status', v_delivery.status,
            'attempt', v_previous.attempt, 'next_attempt_at', v_delivery.next_attempt_at
        );
    end if;
    -- GUARD: a stale lease (expired and claimed again, or never issued): the report is refused and
    -- changes nothing; the delivery belongs to its current holder.
    select d.* into v_delivery from public.alert_deliveries as d
    where d.lease_token = finish_delivery.lease_token and d.status = 'leased'
    for update;
    if not found then
        return pg_catalog.jsonb_build_object(
            'outcome', 'rejected', 'code', 'PT409',
            'message', 'the lease of this delivery is no longer valid',
            'delivery_id', coalesce(v_previous.delivery_id, (
                select d.id from public.alert_deliveries as d where d.lease_token = finish_delivery.lease_token
            )),
            'hint', 'Another dispatcher holds or finished the delivery; do not retry this report.'
        );
    end if;

    insert into public.alert_delivery_attempts (
        delivery_id, workspace_id, attempt, lease_token, dispatcher, outcome, status_code, latency_ms, error, at
    )
    values (
        v_delivery.id, v_delivery.workspace_id, v_delivery.attempts, finish_delivery.lease_token, v_delivery.dispatcher,
        finish_delivery.outcome, finish_delivery.status_code, finish_delivery.latency_ms,
        pg_catalog.left(finish_delivery.error, 2000), v_as_of
    );
    update public.alert_deliveries as d
    set status = case
            when finish_delivery.outcome = 'sent' then 'sent'
            when d.attempts >= private.delivery_max_attempts() then 'dead'
            else 'failed'
        end,
        finished_at = case
            when finish_delivery.outcome = 'sent' or d.attempts >= private.delivery_max_attempts() then v_as_of
        end,
        -- Exponential backoff: 2 s, 4 s, 8 s, … capped at 5 minutes.
        next_attempt_at = case
            when finish_delivery.outcome = 'failed' and d.attempts < private.delivery_max_attempts()
                then v_as_of + pg_catalog.make_interval(secs => least(300, 2 * power(2, d.attempts - 1)))
            else d.next_attempt_at
        end,
        lease_expires_at = null,
        dispatcher = null,
        last_error = case when finish_delivery.outcome = 'failed'
            then pg_catalog.left(coalesce(finish_delivery.error, 'HTTP ' || finish_delivery.status_code, 'failed'), 2000)
            else d.last_error end
    where d.id = v_delivery.id
    returning d.* into v_delivery;
    return pg_catalog.jsonb_build_object(
        'outcome', 'accepted', 'delivery_id', v_delivery.id, 'status', v_delivery.status,
        'attempt', v_delivery.attempts,
        'next_attempt_at', case when v_delivery.status = 'failed' then v_delivery.next_attempt_at end
    );
end
$$;

comment on function public.finish_delivery(uuid, text, integer, integer, text, timestamptz) is
'Dispatcher report of one attempt, fenced by its lease token: records it (status code, latency, error) and settles the delivery: sent, failed with a retry after 2 s x 2^(attempt-1) (at most 5 minutes), or dead after 8 attempts. Answers {outcome: accepted | duplicate (the same report again) | rejected (stale lease, code PT409), delivery_id, status, attempt, next_attempt_at}. Service role only.';

revoke execute on function public.finish_delivery(uuid, text, integer, integer, text, timestamptz) from public, anon, authenticated;
grant execute on function public.finish_delivery(uuid, text, integer, integer, text, timestamptz) to service_role;
