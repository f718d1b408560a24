-- Why: notifications are per group, as Alertmanager's aggregation groups (dispatch.go, aggrGroup):
-- the alerts one route took with the same group_by label values are one group, and one
-- notification per (group, tier, target) carries all of them (issue 14). The group holds the
-- timing: the first notification waits group_wait (alerts arriving meanwhile join it), later
-- changes (an alert joins, one resolves) go out at most once per group_interval, an unchanged group
-- is re-sent every repeat_interval, and the escalation tier is the group's (PagerDuty's incident of
-- alerts). A group whose alerts are all resolved and notified is idle; the next alert restarts it
-- (group_wait again, tier 0). Changed only by the alerting functions.

create table public.alert_groups (
    id uuid not null default pg_catalog.gen_random_uuid(),
    workspace_id uuid not null,
    route_version_id uuid not null,
    route_name text not null,
    group_key text not null,
    group_labels jsonb not null default '{}'::jsonb,
    tier integer not null default 0,
    first_due_at timestamptz not null,
    tier_reached_at timestamptz,
    last_notified_at timestamptz,
    due_at timestamptz,
    started_at timestamptz not null,
    created_at timestamptz not null,
    updated_at timestamptz not null,
    constraint alert_groups_pkey primary key (id),
    constraint alert_groups_workspace_id_route_name_group_key_key unique (workspace_id, route_name, group_key),
    constraint alert_groups_tier_not_negative check (tier >= 0),
    constraint alert_groups_group_labels_is_object check (pg_catalog.jsonb_typeof(group_labels) = 'object'),
    -- A group past tier 0 has been notified and knows when.
    constraint alert_groups_notified_when_tier check (
        tier = 0 or (tier_reached_at is not null and last_notified_at is not null)
    ),
    constraint alert_groups_workspace_id_fkey foreign key (workspace_id)
    references public.workspaces (id) on delete cascade,
    constraint alert_groups_route_version_id_fkey foreign key (route_version_id)
    references public.alert_route_versions (id)
);

-- The escalation sweep: an index scan over due groups only.
create index alert_groups_due_at_idx on public.alert_groups (due_at)
where due_at is not null;
create index alert_groups_route_version_id_idx on public.alert_groups (route_version_id);

comment on table public.alert_groups is
'Notification groups (Alertmanager''s aggregation groups): the alerts one route took with the same group_by label values. One notification per group, tier and target carries all of them; group_wait, group_interval, repeat_interval and the escalation tier are the group''s. Changed only by the alerting functions.';
comment on column public.alert_groups.id is 'Group id.';
comment on column public.alert_groups.workspace_id is 'Owning workspace.';
comment on column public.alert_groups.route_version_id is 'The routing version the group (re)started with; its timing and tiers come from there.';
comment on column public.alert_groups.route_name is 'The route that formed it.';
comment on column public.alert_groups.group_key is 'Group key: <route>:{label="value",…} over the route''s group_by labels.';
comment on column public.alert_groups.group_labels is 'The group_by labels and their values (Alertmanager''s groupLabels).';
comment on column public.alert_groups.tier is 'Escalation tier reached by the group: 0 before its first notification.';
comment on column public.alert_groups.first_due_at is 'When the first notification is due: group_wait plus the first tier''s after_seconds after the group (re)started.';
comment on column public.alert_groups.tier_reached_at is 'When the current tier was reached; the next tier is due its after_seconds later.';
comment on column public.alert_groups.last_notified_at is 'Time of the latest notification; a change is sent at most once per group_interval after it, an unchanged group again after repeat_interval.';
comment on column public.alert_groups.due_at is 'When the group is looked at next (first notification, next tier, pending change, repeat, or a held-back alert a minute later); null when nothing is pending.';
comment on column public.alert_groups.started_at is 'When the group last (re)started (its first alert, or the first after it went idle).';
comment on column public.alert_groups.created_at is 'When the group was first formed.';
comment on column public.alert_groups.updated_at is 'Last change.';

alter table public.alert_groups enable row level security;

revoke all on table public.alert_groups from public, anon, authenticated, service_role, controlroom_executor;
grant select on table public.alert_groups to authenticated, service_role;

create policy alert_groups_select_members on public.alert_groups
for select to authenticated
using (workspace_id in (select private.member_workspace_ids((select auth.uid()), 'viewer')));
