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
