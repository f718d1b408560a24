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
