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
    group_id uuid,
    notified_as text,
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
    references public.alert_route_versions (id),
    constraint alerts_notified_as_valid check (notified_as in ('firing', 'resolved')),
    constraint alerts_group_id_fkey foreign key (group_id)
    references public.alert_groups (id) on delete cascade
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
-- A group's live alerts (unresolved, or resolved with the resolution not yet notified): what a
-- group's notification carries and what its timing depends on.
create index alerts_group_id_live_idx on public.alerts (group_id)
where status <> 'resolved' or notified_as = 'firing';

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
comment on column public.alerts.tier is 'Escalation tier of the latest notification of its group that carried it: 0 before the first, then 1, 2, …';
comment on column public.alerts.next_escalation_at is 'While open: when its group is looked at next (next tier, pending change, repeat); null when acknowledged, resolved or nothing is pending.';
comment on column public.alerts.last_notified_at is 'Time of the latest notification of its group that carried it.';
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
comment on column public.alerts.group_id is 'Its notification group (alert_groups): the route and the values of its group_by labels. Null only for alerts resolved before notifications were grouped.';
comment on column public.alerts.notified_as is 'What the receivers were last told of it: firing, resolved, or null (not yet: a new or reopened alert is a change of its group).';

alter table public.alerts enable row level security;

revoke all on table public.alerts from public, anon, authenticated, service_role, controlroom_executor;
grant select on table public.alerts to authenticated, service_role;

create policy alerts_select_members on public.alerts
for select to authenticated
using (workspace_id in (select private.member_workspace_ids((select auth.uid()), 'viewer')));
