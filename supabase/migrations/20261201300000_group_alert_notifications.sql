-- Why: grouped notifications (issue 14). Alerts that one route took with the same group_by values
-- form a group (public.alert_groups, Alertmanager's aggregation group); one delivery per group,
-- tier and target carries all of them, with Alertmanager's group_wait, group_interval and
-- repeat_interval and PagerDuty's tiers per group. Escalation becomes set-based: the sweep takes
-- due groups in batches of 500 and decides and writes them in a few statements per batch (it
-- looped over alerts one at a time: 10,000 due at once took 30 s). Unresolved alerts are put in
-- groups by their existing group key; their tier and next escalation carry over.

set lock_timeout = '5s';
set statement_timeout = '60s';

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

alter table public.alerts add column group_id uuid
constraint alerts_group_id_fkey references public.alert_groups (id) on delete cascade;
alter table public.alerts add column notified_as text
constraint alerts_notified_as_valid check (notified_as in ('firing', 'resolved'));

-- A group's live alerts. alerts holds the unresolved alerts and the resolved history of a few
-- routes; the build is short and blocks only alert writes (see the allow-list entry).
create index alerts_group_id_live_idx on public.alerts (group_id)
where status <> 'resolved' or notified_as = 'firing';

comment on column public.alerts.tier is 'Escalation tier of the latest notification of its group that carried it: 0 before the first, then 1, 2, …';
comment on column public.alerts.next_escalation_at is 'While open: when its group is looked at next (next tier, pending change, repeat); null when acknowledged, resolved or nothing is pending.';
comment on column public.alerts.last_notified_at is 'Time of the latest notification of its group that carried it.';
comment on column public.alerts.group_id is 'Its notification group (alert_groups): the route and the values of its group_by labels. Null only for alerts resolved before notifications were grouped.';
comment on column public.alerts.notified_as is 'What the receivers were last told of it: firing, resolved, or null (not yet: a new or reopened alert is a change of its group).';

alter table public.alert_deliveries add column group_id uuid
constraint alert_deliveries_group_id_fkey references public.alert_groups (id) on delete cascade;
alter table public.alert_deliveries drop constraint alert_deliveries_change_valid;
alter table public.alert_deliveries add constraint alert_deliveries_change_valid
check (change in ('escalated', 'repeated', 'updated', 'resolved')) not valid;
create index alert_deliveries_group_id_idx on public.alert_deliveries (group_id);

comment on table public.alert_deliveries is
'Outbox of notifications: one row per group notification (tier reached, change, repeat, resolution) and target; the payload lists the group''s alerts. pending/failed -> leased (claim_deliveries) -> sent | failed (retried with backoff) | dead. Written only by the alerting functions.';
comment on column public.alert_deliveries.alert_id is 'The first alert the notification carries (firing before resolved, oldest first); payload.alerts lists them all.';
comment on column public.alert_deliveries.group_id is 'The notification group (alert_groups); null for notifications made before grouping.';
comment on column public.alert_deliveries.change is 'What is notified: escalated (the group reached a tier), updated (an alert joined or resolved), repeated (repeat_interval), resolved (every alert of the group resolved).';

create function private.alert_group_route(route_version_id uuid, route_name text)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
begin
    return (
            select r.value
            from public.alert_route_versions as v
            cross join lateral pg_catalog.jsonb_array_elements(v.body -> 'routes') as r (value)
            where v.id = alert_group_route.route_version_id
              and r.value ->> 'name' = alert_group_route.route_name
            limit 1
    );
end
$$;

comment on function private.alert_group_route(uuid, text) is
'The route (JSON) of a routing version by name: a group''s timing and tiers.';

create function private.alert_group_labels(route jsonb, labels jsonb)
returns jsonb
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
begin
    return (
            -- Alertmanager's groupLabels: each group_by label with its value ('' when the signal has none,
            -- as the group key renders it).
            select coalesce(pg_catalog.jsonb_object_agg(g.label, coalesce(alert_group_labels.labels ->> g.label, '')), '{}'::jsonb)
            from pg_catalog.jsonb_array_elements_text(coalesce(alert_group_labels.route -> 'group_by', '[]'::jsonb)) as g (label)
    );
end
$$;

comment on function private.alert_group_labels(jsonb, jsonb) is
'The group_by labels of a route with their values in the given labels ('''' when absent): a group''s labels.';

create function private.alert_group_interval(route jsonb)
returns interval
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
begin
    -- Unset: 0, a change of a notified group goes out at the next look (in the transaction of the
    -- change, or the dispatcher's next claim), as notifications went before they were grouped.
    -- Routes that want changes batched set it (Alertmanager's default is 5 minutes).
    return pg_catalog.make_interval(secs => coalesce((alert_group_interval.route ->> 'group_interval_seconds')::double precision, 0));
end
$$;

comment on function private.alert_group_interval(jsonb) is
'A route''s group_interval: group_interval_seconds, else 0 (a change is sent at the next look). A group sends a change at most once per group_interval after its last notification.';

create function private.alert_group_payload_limit()
returns integer
language sql
immutable
parallel safe
set search_path = ''
as $$
    select 500
$$;

comment on function private.alert_group_payload_limit() is
'At most this many alerts are listed in one notification (firing first, most severe, oldest); alerts_omitted counts the rest.';

create function private.mute_alerts(alert_ids uuid [], as_of timestamptz)
returns void
language plpgsql
set search_path = ''
-- No JIT, as private.flush_alert_groups: compiling would cost more than the statement.
set jit = off
as $$
begin
    -- A silence or an inhibiting alert mutes an alert: its group's notifications leave it out
    -- (Alertmanager's MuteStage). suppressed_by names why; the hold is audited once per reason.
    with m as (
        select a.id, a.workspace_id, a.status, a.tier, a.suppressed_by as was,
            coalesce(
                'silence:' || private.active_silence(a.workspace_id, a.labels, mute_alerts.as_of)::text,
                'inhibited:' || private.inhibiting_alert(a.workspace_id, v.body, a.id, a.labels)::text
            ) as muted_by
        from public.alerts as a
        inner join public.alert_route_versions as v on v.id = a.route_version_id
        where a.id = any(mute_alerts.alert_ids)
          and a.status <> 'resolved'
    ),
    changed as (
        update public.alerts as a
        set suppressed_by = m.muted_by, updated_at = mute_alerts.as_of
        from m
        where a.id = m.id
          and a.suppressed_by is distinct from m.muted_by
    )
    insert into public.alert_changes (alert_id, workspace_id, change, from_status, to_status, tier, actor, note, at)
    select m.id, m.workspace_id, 'suppressed', m.status, m.status, m.tier, 'system:escalation', m.muted_by,
        mute_alerts.as_of
    from m
    where m.muted_by is not null
      and m.muted_by is distinct from m.was
    order by m.id;
end
$$;

comment on function private.mute_alerts(uuid [], timestamptz) is
'Set-based: whether each given unresolved alert is muted now (an active silence, else an inhibiting alert) into suppressed_by (null when not), with a suppressed audit row when the reason changes.';

create function private.schedule_alert_groups(group_ids uuid [], as_of timestamptz)
returns void
language plpgsql
set search_path = ''
-- No JIT, as private.flush_alert_groups: compiling would cost more than the statement.
set jit = off
as $$
begin
    -- The next time each group has something to do: the first notification, the next tier or a
    -- repeat (each only while an alert is open and not muted: acknowledging every alert stops them), a pending change (an alert not yet notified, a resolution not yet notified) after
    -- group_interval, and a muted alert a minute later (its silence may end). Null: nothing pending.
    with s as (
        select g.id, g.tier, g.first_due_at, g.tier_reached_at, g.last_notified_at, r.route, c.firing, c.unacked,
            c.fresh, c.resolved_pending, c.muted
        from public.alert_groups as g
        cross join lateral (select private.alert_group_route(g.route_version_id, g.route_name) as route) as r
        cross join lateral (
            select
                pg_catalog.count(*) filter (where a.status <> 'resolved' and a.suppressed_by is null) as firing,
                pg_catalog.count(*) filter (where a.status = 'open' and a.suppressed_by is null) as unacked,
                pg_catalog.count(*) filter (
                    where a.status <> 'resolved' and a.suppressed_by is null and a.notified_as is distinct from 'firing'
                ) as fresh,
                pg_catalog.count(*) filter (where a.status = 'resolved') as resolved_pending,
                pg_catalog.count(*) filter (where a.status <> 'resolved' and a.suppressed_by is not null) as muted
            from public.alerts as a
            where a.group_id = g.id
              and (a.status <> 'resolved' or a.notified_as = 'firing')
        ) as c
        where g.id = any(schedule_alert_groups.group_ids)
    ),
    n as (
        select s.id, least(
            case when s.tier = 0 and s.unacked > 0 then s.first_due_at end,
            case when s.tier > 0 and s.unacked > 0 and s.tier < pg_catalog.jsonb_array_length(s.route -> 'escalation')
                then s.tier_reached_at + pg_catalog.make_interval(secs =>
                    coalesce((s.route -> 'escalation' -> s.tier ->> 'after_seconds')::double precision, 0)) end,
            case when s.tier > 0 and s.unacked > 0 and (s.route ->> 'repeat_interval_seconds')::double precision > 0
                then s.last_notified_at + pg_catalog.make_interval(secs =>
                    (s.route ->> 'repeat_interval_seconds')::double precision) end,
            case when s.tier > 0 and (s.fresh > 0 or s.resolved_pending > 0)
                then s.last_notified_at + private.alert_group_interval(s.route) end,
            case when s.muted > 0
                then greatest(schedule_alert_groups.as_of + interval '1 minute', s.first_due_at) end
        ) as due_at
        from s
    ),
    groups_scheduled as (
        update public.alert_groups as g
        set due_at = n.due_at
        from n
        where g.id = n.id
          and g.due_at is distinct from n.due_at
    )
    -- An open alert shows when its group is looked at next.
    update public.alerts as a
    set next_escalation_at = n.due_at
    from n
    where a.group_id = n.id
      and a.status = 'open'
      and a.status <> 'resolved'
      and a.next_escalation_at is distinct from n.due_at;
end
$$;

comment on function private.schedule_alert_groups(uuid [], timestamptz) is
'Set-based: each given group''s due_at (first notification at tier 0; next tier and repeat while an alert is open and not muted; a pending change after group_interval; a muted alert a minute later; null when nothing is pending), mirrored into next_escalation_at of its open alerts.';

create function private.flush_alert_groups(group_ids uuid [], as_of timestamptz)
returns integer
language plpgsql
set search_path = ''
-- No JIT: a batch's plan is estimated costly enough for it (CTE joins), and compiling it took
-- 4-5 s per batch of 500 groups under load while running it takes about 0.2 s (auto_explain).
set jit = off
as $$
declare
    v_due uuid [];
    v_notified integer;
begin
    -- GUARD: one transaction notifies a group at a time. The sweep took these groups with SKIP
    -- LOCKED; a signal's or a resolution's transaction waits here for a sweep in flight.
    v_due := array(
        select g.id from public.alert_groups as g
        where g.id = any(flush_alert_groups.group_ids)
          and g.due_at <= flush_alert_groups.as_of
        order by g.id
        for update
    );
    if pg_catalog.cardinality(v_due) = 0 then
        return 0;
    end if;

    perform private.mute_alerts(array(
        select a.id from public.alerts as a
        where a.group_id = any(v_due)
          and a.status <> 'resolved'
    ), flush_alert_groups.as_of);

    with s as (
        select g.id, g.workspace_id, g.route_version_id, g.route_name, g.group_key, g.group_labels, g.tier,
            g.first_due_at, g.tier_reached_at, g.last_notified_at, r.route, c.firing, c.unacked, c.fresh,
            c.resolved_pending
        from public.alert_groups as g
        cross join lateral (select private.alert_group_route(g.route_version_id, g.route_name) as route) as r
        cross join lateral (
            select
                pg_catalog.count(*) filter (where a.status <> 'resolved' and a.suppressed_by is null) as firing,
                pg_catalog.count(*) filter (where a.status = 'open' and a.suppressed_by is null) as unacked,
                pg_catalog.count(*) filter (
                    where a.status <> 'resolved' and a.suppressed_by is null and a.notified_as is distinct from 'firing'
                ) as fresh,
                pg_catalog.count(*) filter (where a.status = 'resolved') as resolved_pending
            from public.alerts as a
            where a.group_id = g.id
              and (a.status <> 'resolved' or a.notified_as = 'firing')
        ) as c
        where g.id = any(v_due)
    ),
    d as (
        -- What each group sends now, in Alertmanager's order of concerns plus PagerDuty's tiers.
        select s.*, x.change, case when x.change = 'escalated' then s.tier + 1 else s.tier end as new_tier
        from s
        cross join lateral (select case
            when s.tier = 0 then
                -- The first notification, after group_wait: every alert that arrived meanwhile (unless
                -- all of them were acknowledged already).
                case when s.unacked > 0 and s.first_due_at <= flush_alert_groups.as_of then 'escalated' end
            when s.unacked > 0 and s.tier < pg_catalog.jsonb_array_length(s.route -> 'escalation')
                and s.tier_reached_at + pg_catalog.make_interval(secs =>
                    coalesce((s.route -> 'escalation' -> s.tier ->> 'after_seconds')::double precision, 0))
                <= flush_alert_groups.as_of then 'escalated'
            when (s.fresh > 0 or s.resolved_pending > 0)
                and s.last_notified_at + private.alert_group_interval(s.route) <= flush_alert_groups.as_of then
                case when s.firing = 0 then 'resolved' else 'updated' end
            when s.unacked > 0 and (s.route ->> 'repeat_interval_seconds')::double precision > 0
                and s.last_notified_at + pg_catalog.make_interval(secs =>
                    (s.route ->> 'repeat_interval_seconds')::double precision) <= flush_alert_groups.as_of then 'repeated'
        end as change) as x
        where x.change is not null
    ),
    inc as (
        -- What a notification carries: the group's alerts that are not muted, and the resolved ones
        -- whose resolution the receivers have not heard yet. Firing first, most severe, oldest.
        select a.id, a.workspace_id, a.status, a.tier, a.fingerprint, a.signal_type, a.severity, a.subject,
            a.labels, a.opened_at, a.acknowledged_at, a.resolved_at, a.signal_count, a.runs_affected, a.score,
            d.id as group_id, d.change, d.new_tier,
            pg_catalog.row_number() over (
                partition by d.id
                order by (a.status = 'resolved'), private.severity_rank(a.severity) desc, a.opened_at, a.id
            ) as n
        from d
        inner join public.alerts as a
            on a.group_id = d.id
            and (a.status <> 'resolved' or a.notified_as = 'firing')
            and (a.status = 'resolved' or a.suppressed_by is null)
    ),
    agg as (
        select inc.group_id,
            pg_catalog.count(*) as total,
            (pg_catalog.array_agg(inc.id order by inc.n))[1] as lead_id,
            -- The most severe firing alert's, else (all resolved) the most severe of them.
            coalesce(
                (pg_catalog.array_agg(inc.severity order by private.severity_rank(inc.severity) desc)
                    filter (where inc.status <> 'resolved'))[1],
                (pg_catalog.array_agg(inc.severity order by private.severity_rank(inc.severity) desc))[1]
            ) as severity,
            (pg_catalog.array_agg(
                pg_catalog.format('%s %s', pg_catalog.replace(inc.signal_type, '_', ' '),
                    coalesce('of ' || (inc.subject ->> 'spec'), 'in ' || (inc.subject ->> 'pool'), '')
                ) order by inc.n))[1] as lead_summary,
            pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                'alert_id', inc.id,
                'status', inc.status,
                'fingerprint', inc.fingerprint,
                'signal_type', inc.signal_type,
                'severity', inc.severity,
                'summary', pg_catalog.format('%s %s', pg_catalog.replace(inc.signal_type, '_', ' '),
                    coalesce('of ' || (inc.subject ->> 'spec'), 'in ' || (inc.subject ->> 'pool'), '')),
                'subject', inc.subject,
                'labels', inc.labels,
                'opened_at', inc.opened_at,
                'acknowledged_at', inc.acknowledged_at,
                'resolved_at', inc.resolved_at,
                'signal_count', inc.signal_count,
                'runs_affected', inc.runs_affected,
                'score', inc.score
            ) order by inc.n) filter (where inc.n <= private.alert_group_payload_limit()) as alerts,
            (pg_catalog.array_agg(pg_catalog.jsonb_build_object(
                'signal_type', inc.signal_type, 'fingerprint', inc.fingerprint, 'subject', inc.subject,
                'signal_count', inc.signal_count, 'runs_affected', inc.runs_affected
            ) order by inc.n))[1] as lead
        from inc
        group by inc.group_id
    ),
    payloads as (
        select d.id as group_id, agg.lead_id, pg_catalog.jsonb_build_object(
            'group_id', d.id,
            'group_key', d.group_key,
            'group_labels', d.group_labels,
            'workspace_id', d.workspace_id,
            'route', d.route_name,
            'change', d.change,
            'tier', d.new_tier,
            'status', case when d.firing > 0 then 'firing' else 'resolved' end,
            'severity', agg.severity,
            'summary', case
                when agg.total = 1 then pg_catalog.format('[%s] %s%s', pg_catalog.upper(agg.severity), agg.lead_summary,
                    case when d.firing = 0 then ' (resolved)' else '' end)
                else pg_catalog.format('[%s] %s firing%s: %s and %s more (%s)', pg_catalog.upper(agg.severity),
                    d.firing, case when d.resolved_pending > 0 then pg_catalog.format(', %s resolved', d.resolved_pending) else '' end,
                    agg.lead_summary, agg.total - 1, d.group_key)
            end,
            'alerts_firing', d.firing,
            'alerts_resolved', d.resolved_pending,
            'alerts', agg.alerts,
            'alerts_omitted', greatest(0, agg.total - private.alert_group_payload_limit()),
            -- The first alert's fields, for receivers written for one alert per notification.
            'alert_id', agg.lead_id,
            'signal_type', agg.lead ->> 'signal_type',
            'fingerprint', agg.lead ->> 'fingerprint',
            'subject', agg.lead -> 'subject',
            'signal_count', agg.lead -> 'signal_count',
            'runs_affected', agg.lead -> 'runs_affected',
            'sent_for', flush_alert_groups.as_of
        ) as payload
        from d
        inner join agg on agg.group_id = d.id
    ),
    targets as (
        -- escalated and repeated go to the tier's own targets; a change goes to everyone paged so far.
        select distinct on (d.id, t.name) d.id as group_id, t.name, v.body -> 'targets' -> t.name as target
        from d
        inner join public.alert_route_versions as v on v.id = d.route_version_id
        cross join lateral pg_catalog.jsonb_array_elements(d.route -> 'escalation') with ordinality as e (tier, n)
        cross join lateral pg_catalog.jsonb_array_elements_text(e.tier -> 'targets') as t (name)
        where case when d.change in ('escalated', 'repeated') then e.n = d.new_tier else e.n <= d.new_tier end
        order by d.id, t.name
    ),
    groups_notified as (
        update public.alert_groups as g
        set tier = d.new_tier,
            tier_reached_at = case when d.change = 'escalated' then flush_alert_groups.as_of else g.tier_reached_at end,
            last_notified_at = flush_alert_groups.as_of,
            updated_at = flush_alert_groups.as_of
        from d
        where g.id = d.id
    ),
    alerts_notified as (
        -- An acknowledged alert rides along (its state is news) but its own tier stays.
        update public.alerts as a
        set tier = case when inc.status = 'open' then inc.new_tier else a.tier end,
            last_notified_at = flush_alert_groups.as_of,
            notified_as = case when inc.status = 'resolved' then 'resolved' else 'firing' end,
            updated_at = flush_alert_groups.as_of
        from inc
        where a.id = inc.id
    ),
    audited as (
        insert into public.alert_changes (alert_id, workspace_id, change, from_status, to_status, tier, actor, at)
        select inc.id, inc.workspace_id, case when inc.new_tier > inc.tier then 'escalated' else 'repeated' end,
            'open', 'open', inc.new_tier, 'system:escalation', flush_alert_groups.as_of
        from inc
        where inc.status = 'open'
          and (inc.new_tier > inc.tier or inc.change = 'repeated')
        order by inc.group_id, inc.n
    ),
    delivered as (
        insert into public.alert_deliveries (
            alert_id, group_id, workspace_id, tier, change, target_name, target_kind, url_secret, signing_secret,
            payload, next_attempt_at, created_at
        )
        select p.lead_id, d.id, d.workspace_id, d.new_tier, d.change, t.name, t.target ->> 'kind',
            t.target ->> 'url_secret', t.target ->> 'signing_secret', p.payload, flush_alert_groups.as_of,
            flush_alert_groups.as_of
        from targets as t
        inner join d on d.id = t.group_id
        inner join payloads as p on p.group_id = d.id
        order by d.id, t.name
    )
    select pg_catalog.count(*)::integer into v_notified
    from inc;

    perform private.schedule_alert_groups(v_due, flush_alert_groups.as_of);
    return v_notified;
end
$$;

comment on function private.flush_alert_groups(uuid [], timestamptz) is
'Set-based: each given group that is due sends what it owes now, with one delivery per target: its first notification after group_wait (tier 1), the next tier after its delay while an alert is open, a change (alert joined: updated; all resolved: resolved) at most once per group_interval, or a repeat after repeat_interval. Muted alerts are left out. Writes the audit rows, the alerts'' tier and notified state, then reschedules the groups. Returns how many alerts the notifications carried.';

create function private.join_alert_group(
    alert_id uuid, route_version_id uuid, route jsonb, group_key text, labels jsonb, as_of timestamptz
)
returns uuid
language plpgsql
set search_path = ''
as $$
declare
    v_group public.alert_groups;
    v_first timestamptz := private.first_escalation_at(join_alert_group.route, join_alert_group.as_of);
begin
    -- GUARD: two transactions forming one group meet on the unique key: the second waits for the
    -- first and joins its group.
    insert into public.alert_groups as g (
        workspace_id, route_version_id, route_name, group_key, group_labels, first_due_at, started_at,
        created_at, updated_at
    )
    select a.workspace_id, join_alert_group.route_version_id, a.route_name, join_alert_group.group_key,
        private.alert_group_labels(join_alert_group.route, join_alert_group.labels), v_first,
        join_alert_group.as_of, join_alert_group.as_of, join_alert_group.as_of
    from public.alerts as a
    where a.id = join_alert_group.alert_id
    on conflict on constraint alert_groups_workspace_id_route_name_group_key_key do update
    set updated_at = greatest(g.updated_at, excluded.updated_at)
    returning g.* into v_group;

    -- A group with nothing live (every alert resolved and its resolution notified) starts over, as
    -- Alertmanager creates a new aggregation group: group_wait again, from tier 0.
    if not exists (
        select from public.alerts as a
        where a.group_id = v_group.id
          and a.id <> join_alert_group.alert_id
          and (a.status <> 'resolved' or a.notified_as = 'firing')
    ) then
        update public.alert_groups as g
        set route_version_id = join_alert_group.route_version_id,
            group_labels = private.alert_group_labels(join_alert_group.route, join_alert_group.labels),
            tier = 0, first_due_at = v_first, tier_reached_at = null, started_at = join_alert_group.as_of,
            updated_at = join_alert_group.as_of
        where g.id = v_group.id;
    end if;

    update public.alerts as a
    set group_id = v_group.id, notified_as = null
    where a.id = join_alert_group.alert_id;
    return v_group.id;
end
$$;

comment on function private.join_alert_group(uuid, uuid, jsonb, text, jsonb, timestamptz) is
'A new or reopened alert joins the group of its route and group key (formed when missing; restarted at tier 0 with group_wait when nothing in it is live) as a change not yet notified. Returns the group id.';

create or replace function private.route_alert_signals(signal_ids bigint [])
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
    v_groups uuid [] := '{}'::uuid [];
    v_joined uuid [] := '{}'::uuid [];
    v_resolved public.alerts;
    v_as_of timestamptz;
    v_counted boolean;
begin
    for v_signal in
        select s.* from public.alert_signals as s where s.id = any(route_alert_signals.signal_ids) order by s.id
    loop
        v_as_of := v_signal.raised_at;
        if v_signal.is_recovery then
            -- GUARD: groups before their alerts, the order every alerting path locks in, so a sweep
            -- notifying a group (group, then its alerts) never deadlocks with this transaction.
            perform 1 from public.alert_groups as g
            where g.id in (
                select a.group_id from public.alerts as a
                where a.workspace_id = v_signal.workspace_id
                  and a.fingerprint = v_signal.fingerprint
                  and a.status <> 'resolved'
            )
            order by g.id
            for update;
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
            -- GUARD: the group of the alert this signal counts into or reopens is locked before the alert
            -- (the order of every alerting path: no deadlock with a sweep notifying that group).
            perform 1 from public.alert_groups as g
            where g.id in (
                select a.group_id from public.alerts as a
                where a.workspace_id = v_signal.workspace_id
                  and a.route_name = v_route.route_name
                  and a.fingerprint = v_signal.fingerprint
                  and (a.status <> 'resolved'
                      or a.resolved_at >= v_as_of - private.reopen_window(v_route.route, v_version.body))
            )
            order by g.id
            for update;
            select a.* into v_alert
            from public.alerts as a
            where a.workspace_id = v_signal.workspace_id
              and a.route_name = v_route.route_name
              and a.fingerprint = v_signal.fingerprint
              and a.status <> 'resolved'
            for update;
            v_counted := found;
            if not v_counted then
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
                    v_groups := v_groups || private.join_alert_group(v_alert.id, v_version.id, v_route.route,
                        v_route.group_key, v_labels, v_as_of);
                    v_joined := v_joined || v_alert.id;
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
                    -- GUARD: another transaction opened this alert since the lookup above: the partial
                    -- unique index makes this insert wait for it and then do nothing; the signal then
                    -- counts into that alert (below) instead of failing the transaction that raised it.
                    on conflict (workspace_id, route_name, fingerprint) where status <> 'resolved' do nothing
                    returning * into v_alert;
                    if found then
                        insert into public.alert_changes (alert_id, workspace_id, change, from_status, to_status, tier, signal_id, actor, at)
                        values (v_alert.id, v_alert.workspace_id, 'opened', null, 'open', 0, v_signal.id, 'system:signal', v_as_of);
                        v_groups := v_groups || private.join_alert_group(v_alert.id, v_version.id, v_route.route,
                            v_route.group_key, v_labels, v_as_of);
                        v_joined := v_joined || v_alert.id;
                    else
                        select a.* into v_alert
                        from public.alerts as a
                        where a.workspace_id = v_signal.workspace_id
                          and a.route_name = v_route.route_name
                          and a.fingerprint = v_signal.fingerprint
                          and a.status <> 'resolved'
                        for update;
                        v_counted := true;
                    end if;
                end if;
            end if;
            if v_counted then
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
            end if;
            update public.alerts as a set score = private.alert_score(v_alert, v_as_of)
            where a.id = v_alert.id;
        end loop;
    end loop;

    -- The groups that alerts joined: whether the newcomers are muted, when each group is due, and
    -- the ones due now notify in this transaction (group_wait 0: the first delivery is in the
    -- outbox when the cause commits). A signal counted into an existing alert changes no group.
    if pg_catalog.cardinality(v_groups) > 0 then
        v_groups := array(select distinct g.id from pg_catalog.unnest(v_groups) as g (id));
        perform private.mute_alerts(v_joined, v_as_of);
        perform private.schedule_alert_groups(v_groups, v_as_of);
        perform private.flush_alert_groups(v_groups, v_as_of);
    end if;
end
$$;

comment on function private.route_alert_signals(bigint []) is
'Signals to alerts, in id order: a problem signal updates, reopens (within the reopen window) or opens the alert of (route, fingerprint) on every route that takes it; a new or reopened alert joins its notification group, and the groups due at once notify; a recovery signal resolves the unresolved alerts of its fingerprint. Audited in alert_changes with actor system:signal / system:recovery.';

create or replace function private.note_alert_resolved(
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
    if (note_alert_resolved.alert).group_id is null then
        return;
    end if;
    -- Whoever was paged hears that it is over (send_resolved, default true): the resolution is a
    -- change of the group, sent with the group's next notification (at once when group_interval has
    -- passed). Without send_resolved the receivers are not told, and nothing waits for it.
    if (note_alert_resolved.alert).notified_as = 'firing'
        and not coalesce((private.alert_route(note_alert_resolved.alert) ->> 'send_resolved')::boolean, true) then
        update public.alerts as a
        set notified_as = 'resolved'
        where a.id = (note_alert_resolved.alert).id;
    end if;
    perform private.schedule_alert_groups(array[(note_alert_resolved.alert).group_id], note_alert_resolved.as_of);
    perform private.flush_alert_groups(array[(note_alert_resolved.alert).group_id], note_alert_resolved.as_of);
end
$$;

comment on function private.note_alert_resolved(public.alerts, text, text, bigint, timestamptz) is
'After an alert was resolved: its audit row (from the previous status), then its group is rescheduled and notified if due (the resolution reaches everyone paged for the group when the route sends resolved notices).';

create or replace function private.escalate_alerts(alert_ids uuid [], as_of timestamptz)
returns integer
language plpgsql
set search_path = ''
as $$
begin
    -- Escalation is the groups' (private.flush_alert_groups): the due groups of the given alerts.
    return private.flush_alert_groups(array(
        select distinct a.group_id
        from public.alerts as a
        where a.id = any(escalate_alerts.alert_ids)
          and a.group_id is not null
    ), escalate_alerts.as_of);
end
$$;

comment on function private.escalate_alerts(uuid [], timestamptz) is
'Notifies the due groups of the given alerts (private.flush_alert_groups): next tier, pending change or repeat. Returns how many alerts the notifications carried.';

create or replace function private.escalate_due_alerts(as_of timestamptz, max_alerts integer, workspace_id uuid default null)
returns integer
language plpgsql
set search_path = ''
as $$
declare
    v_ids uuid [];
    v_batch integer := 500;
    v_notified integer := 0;
begin
    -- GUARD: two sweeps (pg_cron and a dispatcher's claim) never take the same group: SKIP LOCKED.
    select pg_catalog.array_agg(d.id order by d.due_at, d.id) into v_ids
    from (
        select g.id, g.due_at
        from public.alert_groups as g
        where g.due_at <= escalate_due_alerts.as_of
          and (escalate_due_alerts.workspace_id is null or g.workspace_id = escalate_due_alerts.workspace_id)
        order by g.due_at
        limit escalate_due_alerts.max_alerts
        for update skip locked
    ) as d;
    if v_ids is null then
        return 0;
    end if;
    -- Bounded batches of groups, each a handful of set-based statements.
    for i in 0 .. (pg_catalog.cardinality(v_ids) - 1) / v_batch loop
        v_notified := v_notified + private.flush_alert_groups(v_ids[i * v_batch + 1:(i + 1) * v_batch], escalate_due_alerts.as_of);
    end loop;
    return v_notified;
end
$$;

comment on function private.escalate_due_alerts(timestamptz, integer, uuid) is
'The escalation sweep, bounded: up to max_alerts groups whose due_at has passed (optionally of one workspace), oldest due first, SKIP LOCKED, notified in set-based batches of 500 groups (private.flush_alert_groups). Returns how many alerts the notifications carried.';

create or replace function public.acknowledge_alert(alert_id uuid, note text default null, as_of timestamptz default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_as_of timestamptz := private.clock(acknowledge_alert.as_of);
    v_alert public.alerts;
    v_actor text := private.caller_actor();
begin
    -- GUARD: the alert's group is locked before the alert (private.visible_alert locks the alert), the
    -- order of every alerting path: a sweep notifying the group takes the group, then its alerts, so
    -- the two wait for each other instead of deadlocking.
    perform 1 from public.alert_groups as g
    where g.id = (select a.group_id from public.alerts as a where a.id = acknowledge_alert.alert_id)
    for update;
    v_alert := private.visible_alert(acknowledge_alert.alert_id, 'operator');
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
    -- Acknowledgement is per alert (the API's unit): its group stops escalating and repeating once no
    -- alert of it is open; a new alert joining the group pages again.
    if v_alert.group_id is not null then
        perform private.schedule_alert_groups(array[v_alert.group_id], v_as_of);
    end if;
    return private.alert_reply('acknowledged', v_alert);
end
$$;

comment on function public.acknowledge_alert(uuid, text, timestamptz) is
'Acknowledges an open alert: it stops escalating; its group stops (no further tier or repeat) once none of its alerts is open. duplicate when already acknowledged; PT422 when resolved. Workspace operators and up, and the service role.';

create or replace function public.resolve_alert(alert_id uuid, note text default null, as_of timestamptz default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_as_of timestamptz := private.clock(resolve_alert.as_of);
    v_alert public.alerts;
    v_actor text := private.caller_actor();
begin
    -- GUARD: the alert's group is locked before the alert (private.visible_alert locks the alert), the
    -- order of every alerting path: a sweep notifying the group takes the group, then its alerts, so
    -- the two wait for each other instead of deadlocking.
    perform 1 from public.alert_groups as g
    where g.id = (select a.group_id from public.alerts as a where a.id = resolve_alert.alert_id)
    for update;
    v_alert := private.visible_alert(resolve_alert.alert_id, 'operator');
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

create or replace function public.claim_deliveries(
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
        'group_id', c.group_id,
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
'Dispatcher claim: first the due alert work (escalation, bounded to 200 groups), then up to max_deliveries due deliveries (pending, failed past their backoff, or leased with an expired lease) with a new lease token each, SKIP LOCKED. An expired lease is recorded as an expired attempt; past 8 attempts the delivery is dead. Returns {deliveries: [{id, lease_token, lease_expires_at, attempt, alert_id, group_id, workspace_id, tier, change, target {name, kind, url_secret, signing_secret}, payload}], alerts_notified, as_of}. Service role only.';

-- The unresolved alerts join groups by their group key (the routing version of the latest one);
-- a group's tier is the highest its alerts reached, and an alert already notified counts as
-- notified, so nothing is sent again because of this change.
insert into public.alert_groups (
    workspace_id, route_version_id, route_name, group_key, group_labels, tier, first_due_at, tier_reached_at,
    last_notified_at, started_at, created_at, updated_at
)
select
    l.workspace_id,
    l.route_version_id,
    l.route_name,
    l.group_key,
    private.alert_group_labels(private.alert_group_route(l.route_version_id, l.route_name), l.labels) as group_labels,
    l.tier,
    l.first_due_at,
    l.notified_at as tier_reached_at,
    l.notified_at as last_notified_at,
    l.started_at,
    l.started_at as created_at,
    pg_catalog.now() as updated_at
from (
    select
        a.workspace_id,
        a.route_name,
        a.group_key,
        (pg_catalog.array_agg(a.route_version_id order by a.opened_at desc, a.id desc))[1] as route_version_id,
        (pg_catalog.array_agg(a.labels order by a.opened_at desc, a.id desc))[1] as labels,
        pg_catalog.max(a.tier) as tier,
        pg_catalog.min(coalesce(a.next_escalation_at, a.opened_at)) as first_due_at,
        case when pg_catalog.max(a.tier) > 0 then pg_catalog.max(coalesce(a.last_notified_at, a.opened_at)) end
        as notified_at,
        pg_catalog.min(a.opened_at) as started_at
    from public.alerts as a
    where a.status <> 'resolved'
    group by a.workspace_id, a.route_name, a.group_key
) as l;

update public.alerts as a
set group_id = g.id, notified_as = case when a.tier > 0 then 'firing' end
from public.alert_groups as g
where a.status <> 'resolved'
  and g.workspace_id = a.workspace_id
  and g.route_name = a.route_name
  and g.group_key = a.group_key;

select private.schedule_alert_groups(array(select g.id from public.alert_groups as g), pg_catalog.now());
