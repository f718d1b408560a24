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
language plpgsql
stable
set search_path = ''
as $$
declare
    v_row public.alert_route_versions;
begin
        select v.* into v_row
        from public.alert_route_versions as v
        where v.workspace_id = current_route_version.workspace_id
        order by v.version desc
        limit 1;
    return v_row;
end
$$;

comment on function private.current_route_version(uuid) is
'The routing version signals of the workspace are routed by: the highest published version, or null.';

create function private.alert_route(alert public.alerts)
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
            where v.id = (alert_route.alert).route_version_id
              and r.value ->> 'name' = (alert_route.alert).route_name
            limit 1
    );
end
$$;

comment on function private.alert_route(public.alerts) is
'The route (JSON) of the routing version an alert was routed with.';

create function private.alert_score_factors(alert public.alerts, as_of timestamptz)
returns table (factor text, raw double precision, normalised double precision, weight double precision, contribution double precision)
language plpgsql
stable
set search_path = ''
as $$
#variable_conflict use_column
begin
    return query
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
        order by f.n;
end
$$;

comment on function private.alert_score_factors(public.alerts, timestamptz) is
'The factors of an alert''s score: severity (critical 1, warning 0.5, info 0.1; weight 1000), runs affected (/10, capped at 1; weight 500), deadline proximity of its run (private.deadline_factor over 1 hour; weight 1000), spec criticality (alerts.criticality low 1 .. critical 4, medium when unset, 0 without a spec, /4; weight 1000).';

create function private.alert_score(alert public.alerts, as_of timestamptz)
returns double precision
language plpgsql
stable
set search_path = ''
as $$
begin
    return (
            select coalesce(pg_catalog.sum(f.contribution), 0)
            from private.alert_score_factors(alert_score.alert, alert_score.as_of) as f
    );
end
$$;

comment on function private.alert_score(public.alerts, timestamptz) is
'An alert''s score: the sum of the contributions of private.alert_score_factors.';
