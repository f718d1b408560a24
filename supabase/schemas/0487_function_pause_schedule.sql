-- Why: operators pause a schedule during an incident and resume it after, without a publish
-- (issue 16). The state survives re-publishing by schedule name (0336). Resuming does not catch up
-- on the fire times of the pause: the schedule moves on from the resume.

create function private.find_schedule(workspace_id uuid, name text, spec_name text)
returns public.schedules
language plpgsql
stable
set search_path = ''
as $$
declare
    v_found public.schedules[];
begin
    -- Schedule names are unique per spec; the spec may be left out when the name alone is unique.
    v_found := array(
        select s
        from public.schedules as s
        where s.workspace_id = find_schedule.workspace_id and s.name = find_schedule.name
          and (find_schedule.spec_name is null or s.spec_name = find_schedule.spec_name)
        order by s.spec_name
        limit 3
    );
    if pg_catalog.cardinality(v_found) = 0 then
        raise exception 'schedule % does not exist in workspace %', find_schedule.name, find_schedule.workspace_id
        using errcode = 'PT404',
        detail = case when find_schedule.spec_name is null then 'No current spec version declares a schedule of this name.'
            else pg_catalog.format('The current version of spec %s declares no schedule of this name.', find_schedule.spec_name) end,
        hint = '`controlroom schedules` lists them.';
    elsif pg_catalog.cardinality(v_found) > 1 then
        raise exception 'schedule name % is declared by several specs', find_schedule.name
        using errcode = '22023',
        detail = pg_catalog.format('Specs: %s.', (
            select pg_catalog.string_agg(f.spec_name, ', ') from pg_catalog.unnest(v_found) as f
        )),
        hint = 'Name the spec too (SPEC/SCHEDULE on the command line).';
    end if;
    return v_found[1];
end
$$;

comment on function private.find_schedule(uuid, text, text) is
'The schedule of a workspace by name (and spec name when given); PT404 when none, 22023 when the name is declared by several specs and none was named.';

create function private.set_schedule_paused(
    workspace_id uuid, name text, spec_name text, paused boolean, as_of timestamptz
)
returns public.schedules
language plpgsql
set search_path = ''
as $$
declare
    v_as_of timestamptz := private.clock(set_schedule_paused.as_of);
    v_actor text := private.assert_may_submit(set_schedule_paused.workspace_id);
    v_schedule public.schedules;
begin
    v_schedule := private.find_schedule(
        set_schedule_paused.workspace_id, set_schedule_paused.name, set_schedule_paused.spec_name
    );
    -- Lock, then re-read: a tick holding the row finishes first.
    perform from public.schedules as s where s.id = v_schedule.id for update;
    update public.schedules as s
    set paused = set_schedule_paused.paused,
        paused_at = case when s.paused = set_schedule_paused.paused then s.paused_at else v_as_of end,
        paused_by = case when s.paused = set_schedule_paused.paused then s.paused_by else v_actor end,
        -- A resume starts from now: the fire times of the pause are not caught up.
        fired_through = case when s.paused and not set_schedule_paused.paused
            then greatest(s.fired_through, v_as_of) else s.fired_through end,
        next_fire_at = case when s.paused and not set_schedule_paused.paused
            then private.cron_next_fire(s.cron, s.timezone, greatest(s.fired_through, v_as_of))
            else s.next_fire_at end,
        updated_at = v_as_of
    where s.id = v_schedule.id
    returning s.* into v_schedule;
    return v_schedule;
end
$$;

comment on function private.set_schedule_paused(uuid, text, text, boolean, timestamptz) is
'Pauses or resumes a schedule for an operator or the service role (42501 otherwise); a resume moves fired_through to as_of, so the paused fire times are not caught up. Pausing a paused schedule changes nothing.';

create function public.pause_schedule(
    workspace_id uuid, name text, spec_name text default null, as_of timestamptz default null
)
returns public.schedules
language sql
security definer
set search_path = ''
as $$
    select private.set_schedule_paused(
        pause_schedule.workspace_id, pause_schedule.name, pause_schedule.spec_name, true, pause_schedule.as_of
    )
$$;

comment on function public.pause_schedule(uuid, text, text, timestamptz) is
'Pauses a schedule (operators, admins, owners, the service role; 42501 otherwise): ticks skip it until resume_schedule or a publish that changes the spec''s paused. spec_name may be left out when the name is unique in the workspace (PT404 unknown, 22023 ambiguous). Idempotent.';

create function public.resume_schedule(
    workspace_id uuid, name text, spec_name text default null, as_of timestamptz default null
)
returns public.schedules
language sql
security definer
set search_path = ''
as $$
    select private.set_schedule_paused(
        resume_schedule.workspace_id, resume_schedule.name, resume_schedule.spec_name, false, resume_schedule.as_of
    )
$$;

comment on function public.resume_schedule(uuid, text, text, timestamptz) is
'Resumes a paused schedule (operators and up, the service role): it fires next at its first fire time after as_of; the fire times of the pause are not caught up. Idempotent.';

revoke execute on function public.pause_schedule(uuid, text, text, timestamptz) from public, anon, authenticated;
grant execute on function public.pause_schedule(uuid, text, text, timestamptz) to authenticated, service_role;
revoke execute on function public.resume_schedule(uuid, text, text, timestamptz) from public, anon, authenticated;
grant execute on function public.resume_schedule(uuid, text, text, timestamptz) to authenticated, service_role;
