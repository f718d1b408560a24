-- Why: the routing matrix is reviewed in Git and published like a spec (issue 14): `controlroom
-- routes publish` parses specs/routing/*.yaml into one JSON document and calls this. Versions are
-- immutable; the same content as the current version again changes nothing (unchanged), so
-- publishing from CI on every push is safe. Workspace admins and the service role publish.

create function private.assert_alert_admin(workspace_id uuid, what text)
returns text
language plpgsql
stable
set search_path = ''
as $$
declare
    v_actor text := private.caller_actor();
begin
    if v_actor is null then
        raise exception 'only workspace admins and the service role %', assert_alert_admin.what
        using errcode = '42501',
        detail = pg_catalog.format('The caller''s role is %s.', private.caller_role()),
        hint = 'Sign in as a workspace admin or use the service role.';
    end if;
    if private.caller_role() = 'authenticated' then
        if not private.is_member(assert_alert_admin.workspace_id, 'viewer') then
            raise exception 'workspace % not found', assert_alert_admin.workspace_id
            using errcode = 'PT404',
            detail = 'No workspace with this id is visible to the caller.',
            hint = 'Check the workspace id.';
        end if;
        if not private.is_member(assert_alert_admin.workspace_id, 'admin') then
            raise exception 'only workspace admins and the service role %', assert_alert_admin.what
            using errcode = '42501',
            detail = 'This needs the admin role in the workspace.',
            hint = 'Ask a workspace owner for the admin role.';
        end if;
    elsif not exists (select from public.workspaces as w where w.id = assert_alert_admin.workspace_id) then
        raise exception 'workspace % not found', assert_alert_admin.workspace_id
        using errcode = 'PT404',
        detail = 'No workspace with this id exists.',
        hint = 'Check the workspace id.';
    end if;
    return v_actor;
end
$$;

comment on function private.assert_alert_admin(uuid, text) is
'Who may manage a workspace''s routing and silences: the service role, or a member with the admin role (42501 otherwise; PT404 for a workspace the caller cannot see). Returns the audit actor.';

create function private.assert_valid_routes(body jsonb)
returns void
language plpgsql
immutable
set search_path = ''
as $$
declare
    v_problem record;
begin
    if pg_catalog.octet_length(assert_valid_routes.body::text) > 262144 then
        raise exception 'routing document is too large: % bytes, the limit is 262144 bytes',
            pg_catalog.octet_length(assert_valid_routes.body::text)
        using errcode = 'PT413',
        detail = 'A routing document is at most 256 KiB.',
        hint = 'Split long target lists or routes; group similar routes with globs.';
    end if;
    select p.* into v_problem from private.first_routes_problem(assert_valid_routes.body) as p;
    if found then
        raise exception 'invalid routing document: % %', v_problem.path, v_problem.problem
        using errcode = '22023',
        detail = pg_catalog.format('path=%s', v_problem.path),
        hint = 'Run controlroom routes validate on the routing files (docs/alerting.md).';
    end if;
end
$$;

comment on function private.assert_valid_routes(jsonb) is
'Raises PT413 for a routing document over 256 KiB and 22023 with the JSON path of the first bad field (private.first_routes_problem); otherwise nothing.';

create function public.publish_routes(workspace_id uuid, body jsonb, as_of timestamptz default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_as_of timestamptz := private.clock(publish_routes.as_of);
    v_actor text := private.assert_alert_admin(publish_routes.workspace_id, 'publish routes');
    v_hash text;
    v_current public.alert_route_versions;
    v_new public.alert_route_versions;
begin
    perform private.assert_valid_routes(publish_routes.body);
    v_hash := private.spec_hash(publish_routes.body);
    -- GUARD: two concurrent publishes of one workspace: the second waits, then sees the first.
    perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('alert_routes:' || publish_routes.workspace_id::text, 0));
    v_current := private.current_route_version(publish_routes.workspace_id);
    if v_current.routes_hash = v_hash then
        return pg_catalog.jsonb_build_object(
            'outcome', 'unchanged', 'version', v_current.version, 'routes_hash', v_current.routes_hash,
            'route_version_id', v_current.id, 'published_at', v_current.published_at
        );
    end if;
    insert into public.alert_route_versions (workspace_id, version, routes_hash, body, published_by, published_at)
    values (publish_routes.workspace_id, coalesce(v_current.version, 0) + 1, v_hash, publish_routes.body,
        v_actor, v_as_of)
    returning * into v_new;
    return pg_catalog.jsonb_build_object(
        'outcome', 'published', 'version', v_new.version, 'routes_hash', v_new.routes_hash,
        'route_version_id', v_new.id, 'published_at', v_new.published_at
    );
end
$$;

comment on function public.publish_routes(uuid, jsonb, timestamptz) is
'Publishes a routing document ({routes, inhibit_rules, targets, defaults}) as the workspace''s next immutable version; the same content as the current version is a no-op (outcome unchanged). Validated (22023 with the JSON path, PT413 over 256 KiB). Workspace admins and the service role.';

revoke execute on function public.publish_routes(uuid, jsonb, timestamptz) from public, anon, authenticated;
grant execute on function public.publish_routes(uuid, jsonb, timestamptz) to authenticated, service_role;
