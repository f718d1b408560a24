-- Why: two orchestration caps are checked when work is asked for rather than when it is claimed
-- (docs/caps.md, "Orchestration layer"): what a published spec may ask for (publish_spec, here) and
-- what a submitted run may ask for and whether the workspace's queue admits it (private.submit_runs,
-- 0445).

create function private.first_spec_over_limit_problem(workspace_id uuid, body jsonb)
returns table (field text, value numeric, limit_value numeric)
language sql
stable
set search_path = ''
as $$
    with wl as (
        select l.* from public.workspace_limits as l
        where l.workspace_id = first_spec_over_limit_problem.workspace_id
    ),
    spec_settings (n, field, value, limit_value) as (
        select 1, 'caps.max_duration_seconds',
            (first_spec_over_limit_problem.body -> 'caps' ->> 'max_duration_seconds')::numeric,
            wl.max_run_duration_seconds::numeric
        from wl
        union all
        select 2, 'retries.max_attempts',
            coalesce((first_spec_over_limit_problem.body -> 'retries' ->> 'max_attempts')::numeric, 3),
            wl.max_attempts::numeric
        from wl
        union all
        select 3, 'heartbeat_tolerance_seconds',
            coalesce((first_spec_over_limit_problem.body ->> 'heartbeat_tolerance_seconds')::numeric, 900),
            wl.max_heartbeat_tolerance_seconds::numeric
        from wl
    ),
    phase_caps (n, field, value, limit_value) as (
        select 10 + ph.n * 10 + k.n, pg_catalog.format('phases[%s].%s.%s', ph.n - 1, k.section, k.name),
            (ph.phase -> k.section ->> k.name)::numeric, k.limit_value
        from wl
        cross join lateral pg_catalog.jsonb_array_elements(
            case when pg_catalog.jsonb_typeof(first_spec_over_limit_problem.body -> 'phases') = 'array'
                then first_spec_over_limit_problem.body -> 'phases' else '[]'::jsonb end
        ) with ordinality as ph (phase, n)
        cross join lateral (
            values
            (1, 'caps', 'memory_bytes', wl.max_memory_bytes::numeric),
            (2, 'caps', 'address_space_bytes', wl.max_memory_bytes::numeric),
            (3, 'caps', 'cpu_seconds', wl.max_cpu_seconds::numeric),
            (4, 'caps', 'wall_seconds', wl.max_wall_seconds::numeric),
            (5, 'caps', 'output_bytes', wl.max_output_bytes::numeric),
            (6, 'engine', 'memory_limit_bytes', wl.max_memory_bytes::numeric)
        ) as k (n, section, name, limit_value)
        where k.limit_value is not null
          and pg_catalog.jsonb_typeof(ph.phase -> k.section -> k.name) = 'number'
    )
    select p.field, p.value, p.limit_value
    from (
        select s.* from spec_settings as s
        where s.limit_value is not null and (s.value is null or s.value > s.limit_value)
        union all
        select 5, 'heartbeat_tolerance_seconds',
            coalesce((first_spec_over_limit_problem.body ->> 'heartbeat_tolerance_seconds')::numeric, 900),
            wl.min_heartbeat_tolerance_seconds::numeric
        from wl
        where wl.min_heartbeat_tolerance_seconds is not null
          and coalesce((first_spec_over_limit_problem.body ->> 'heartbeat_tolerance_seconds')::numeric, 900)
          < wl.min_heartbeat_tolerance_seconds
        union all
        select c.* from phase_caps as c where c.value > c.limit_value
    ) as p
    order by p.n
    limit 1
$$;

comment on function private.first_spec_over_limit_problem(uuid, jsonb) is
'The first setting of a spec body (already valid) that asks for more than the workspace''s limits allow: field, its value (null when unset but a limit requires it) and the limit; no row when it fits or the workspace has no limits. Defaults count (3 attempts, 900 s heartbeat tolerance).';

create function private.assert_spec_within_limits(workspace_id uuid, body jsonb)
returns void
language plpgsql
stable
set search_path = ''
as $$
declare
    v_problem record;
begin
    select p.* into v_problem
    from private.first_spec_over_limit_problem(assert_spec_within_limits.workspace_id, assert_spec_within_limits.body) as p;
    if found then
        raise exception 'spec asks for %=% but the workspace''s limit is %',
            v_problem.field, coalesce(v_problem.value::text, 'unset'), v_problem.limit_value
        using errcode = '22023',
        detail = pg_catalog.format('field=%s value=%s limit=%s', v_problem.field,
            coalesce(v_problem.value::text, 'unset'), v_problem.limit_value),
        hint = 'Lower the setting in the spec, or ask a workspace admin to raise the limit (set_workspace_limits).';
    end if;
end
$$;

comment on function private.assert_spec_within_limits(uuid, jsonb) is
'Raises 22023 naming the field, its value and the limit when a spec body asks for more than the workspace''s limits (private.first_spec_over_limit_problem).';
