-- Why: grouped notifications with Alertmanager's timing, set-based (issue 14). A signal's alert
-- joins the group of its route and group_by values (private.join_alert_group); what a group must
-- send, and when, is decided for many groups at once by private.flush_alert_groups (first
-- notification after group_wait, the next tier after its delay while an alert is unacknowledged,
-- a change at most once per group_interval, an unchanged group every repeat_interval), and
-- private.schedule_alert_groups keeps each group's due_at (the one time the sweep looks at). Every
-- step is a statement over all the groups given, so 10,000 groups due at once cost a few
-- statements per batch instead of one loop iteration per alert.

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
