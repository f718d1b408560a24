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
