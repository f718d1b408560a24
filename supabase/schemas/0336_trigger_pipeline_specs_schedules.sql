-- Why: the schedules of a spec name belong to its current version (the one a submit by name gets:
-- the highest integer version), so publishing a new version replaces them. A schedule that keeps its
-- name keeps its id, its ticks, how far it has fired and the operator's pause state (unless the
-- spec itself changes `paused`: a change in Git is a decision too); a schedule the new version no
-- longer declares is dropped with its ticks. Publishing an older version number changes nothing.

create function private.materialise_schedules()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
    -- The same order as "latest" in private.submit_runs: the highest integer version, then by
    -- publish time.
    if (
        select s.id
        from public.pipeline_specs as s
        where s.workspace_id = new.workspace_id and s.name = new.name
        order by
            case when s.version ~ '^[0-9]{1,18}$' then s.version::bigint end desc nulls last,
            s.published_at desc,
            s.id desc
        limit 1
    ) is distinct from new.id then
        return null;
    end if;

    delete from public.schedules as d
    where d.workspace_id = new.workspace_id and d.spec_name = new.name
      and not exists (
          select
          from pg_catalog.jsonb_array_elements(coalesce(new.body -> 'schedules', '[]'::jsonb)) as e (value)
          where e.value ->> 'name' = d.name
      );

    insert into public.schedules as s (
        workspace_id, spec_name, spec_id, name, cron, timezone, params, catchup, max_catchup,
        declared_paused, paused, paused_at, paused_by, fired_through, next_fire_at
    )
    select
        new.workspace_id, new.name, new.id, d.name, d.cron, d.timezone, d.params, d.catchup, d.max_catchup,
        d.paused, d.paused, pg_catalog.now(), 'spec', pg_catalog.now(),
        private.cron_next_fire(d.cron, d.timezone, pg_catalog.now())
    from pg_catalog.jsonb_array_elements(coalesce(new.body -> 'schedules', '[]'::jsonb)) as e (value)
    cross join lateral (
        select
            e.value ->> 'name' as name,
            e.value ->> 'cron' as cron,
            coalesce(e.value ->> 'timezone', 'UTC') as timezone,
            coalesce(e.value -> 'params', '{}'::jsonb) as params,
            coalesce(e.value ->> 'catchup', 'latest') as catchup,
            coalesce((e.value ->> 'max_catchup')::integer, 10) as max_catchup,
            coalesce((e.value ->> 'paused')::boolean, false) as paused
    ) as d
    on conflict (workspace_id, spec_name, name) do update
    set spec_id = excluded.spec_id,
        cron = excluded.cron,
        timezone = excluded.timezone,
        params = excluded.params,
        catchup = excluded.catchup,
        max_catchup = excluded.max_catchup,
        declared_paused = excluded.declared_paused,
        paused = case when s.declared_paused = excluded.declared_paused then s.paused else excluded.paused end,
        paused_at = case when s.declared_paused = excluded.declared_paused then s.paused_at else excluded.paused_at end,
        paused_by = case when s.declared_paused = excluded.declared_paused then s.paused_by else excluded.paused_by end,
        -- Fire times already handled stay handled; the next one follows the new expression.
        next_fire_at = private.cron_next_fire(excluded.cron, excluded.timezone, s.fired_through),
        updated_at = pg_catalog.now();
    return null;
end
$$;

comment on function private.materialise_schedules() is
'After a spec version is published: if it is the current version of its name (highest integer version), replaces the name''s schedules with body.schedules, keeping id, ticks, fired_through and pause state by schedule name (a changed body paused wins).';

create trigger pipeline_specs_materialise_schedules
after insert on public.pipeline_specs
for each row execute function private.materialise_schedules();
