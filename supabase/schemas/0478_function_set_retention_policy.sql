-- Why: a workspace's admins (and the service role) say how long its history is kept (issue 16);
-- the retention job (0620) applies it, and controlroom retention apply expires artifact objects
-- (0622).

create function public.set_retention_policy(
    workspace_id uuid,
    events_after_days integer default null,
    runs_after_days integer default null,
    artifacts_after_days integer default null,
    verifications_after_days integer default null,
    as_of timestamptz default null
)
returns public.retention_policies
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_as_of timestamptz := private.clock(set_retention_policy.as_of);
    v_actor text := private.assert_limits_admin(set_retention_policy.workspace_id);
    v_policy public.retention_policies;
begin
    if set_retention_policy.events_after_days not between 1 and 36500
        or set_retention_policy.runs_after_days not between 1 and 36500
        or set_retention_policy.artifacts_after_days not between 1 and 36500
        or set_retention_policy.verifications_after_days not between 1 and 36500 then
        raise exception 'retention is 1 to 36500 days, or null to keep forever'
        using errcode = '22023',
        detail = pg_catalog.format(
            'events_after_days=%s runs_after_days=%s artifacts_after_days=%s verifications_after_days=%s',
            set_retention_policy.events_after_days, set_retention_policy.runs_after_days,
            set_retention_policy.artifacts_after_days, set_retention_policy.verifications_after_days
        ),
        hint = 'Pass a number of days, or null.';
    end if;
    insert into public.retention_policies as p (
        workspace_id, events_after_days, runs_after_days, artifacts_after_days, verifications_after_days,
        updated_at, updated_by
    )
    values (set_retention_policy.workspace_id, set_retention_policy.events_after_days,
        set_retention_policy.runs_after_days, set_retention_policy.artifacts_after_days,
        set_retention_policy.verifications_after_days, v_as_of, v_actor)
    on conflict on constraint retention_policies_pkey do update
    set events_after_days = excluded.events_after_days, runs_after_days = excluded.runs_after_days,
        artifacts_after_days = excluded.artifacts_after_days,
        verifications_after_days = excluded.verifications_after_days,
        updated_at = excluded.updated_at, updated_by = excluded.updated_by
    returning p.* into v_policy;
    return v_policy;
end
$$;

comment on function public.set_retention_policy(uuid, integer, integer, integer, integer, timestamptz) is
'Sets how long a workspace keeps run events (events_after_days), finished runs with their history (runs_after_days), artifact objects in S3 (artifacts_after_days) and verification records (verifications_after_days); null keeps them forever. Admins and owners, or the service role (42501 otherwise); PT404 unknown workspace; 22023 out of 1..36500 days.';

revoke execute on function public.set_retention_policy(uuid, integer, integer, integer, integer, timestamptz)
from public, anon, authenticated;
grant execute on function public.set_retention_policy(uuid, integer, integer, integer, integer, timestamptz)
to authenticated, service_role;
