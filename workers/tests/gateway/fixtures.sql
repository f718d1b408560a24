-- Contract fixtures for the gateway tests: created by a session fixture, dropped at the end.
-- NOT a migration and NOT in public (public is checked by schema-wide invariants).
create schema contract_fixtures;
grant usage on schema contract_fixtures to anon, authenticated, service_role;
set local search_path = '';

create table contract_fixtures.items (
    id int primary key,
    name text not null,
    qty int,
    tag text
);
insert into contract_fixtures.items (id, name, qty, tag) values
    (1, 'apple', 5, 'fruit'), (2, 'banana', 12, 'fruit'), (3, 'carrot', 7, null),
    (4, 'Durian', 0, 'fruit'), (5, 'eggplant', 3, 'veg');
grant select on contract_fixtures.items to anon, authenticated, service_role;

create table contract_fixtures.canary (id int primary key);
insert into contract_fixtures.canary values (1);
grant select on contract_fixtures.canary to anon, authenticated, service_role;

create table contract_fixtures.notes (id bigserial primary key, note text unique not null);
grant select on contract_fixtures.notes to anon, authenticated, service_role;

create table contract_fixtures.docs (id serial primary key, owner uuid not null, body text not null);
alter table contract_fixtures.docs enable row level security;
create policy docs_owner_reads on contract_fixtures.docs for select to authenticated
    using (owner = (select auth.uid()));
grant select on contract_fixtures.docs to anon, authenticated, service_role;
insert into contract_fixtures.docs (owner, body) values
    ('00000000-0000-0000-0000-00000000000a', 'alice doc'),
    ('00000000-0000-0000-0000-00000000000b', 'bob doc 1'),
    ('00000000-0000-0000-0000-00000000000b', 'bob doc 2');

create function contract_fixtures.whoami() returns jsonb language sql stable as $$
    select pg_catalog.jsonb_build_object(
        'current_user', current_user, 'session_user', session_user,
        'session_user_is_superuser', (select r.rolsuper from pg_catalog.pg_roles r where r.rolname = session_user),
        'claims', nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb,
        'uid', auth.uid(), 'auth_role', auth.role(),
        'method', pg_catalog.current_setting('request.method', true),
        'path', pg_catalog.current_setting('request.path', true),
        'headers', nullif(pg_catalog.current_setting('request.headers', true), '')::jsonb,
        'cookies', nullif(pg_catalog.current_setting('request.cookies', true), '')::jsonb,
        'statement_timeout', pg_catalog.current_setting('statement_timeout'),
        'read_only', pg_catalog.current_setting('transaction_read_only'),
        'search_path', pg_catalog.current_setting('search_path'))
$$;

create function contract_fixtures.add(a int, b int) returns int language sql immutable as $$ select a + b $$;
create function contract_fixtures.greet(name text default 'world') returns text language sql immutable
    as $$ select 'Hello, ' || name $$;
create function contract_fixtures.null_scalar() returns int language sql immutable as $$ select null::int $$;
create function contract_fixtures.sum_array(xs int[]) returns int language sql immutable
    as $$ select coalesce(sum(x), 0)::int from pg_catalog.unnest(xs) as x $$;
create function contract_fixtures.echo_json(payload jsonb) returns jsonb language sql immutable
    as $$ select payload $$;

create function contract_fixtures.over(a int) returns text language sql immutable as $$ select 'int' $$;
create function contract_fixtures.over(a text) returns text language sql immutable as $$ select 'text' $$;
create function contract_fixtures.over(a int, b int) returns text language sql immutable as $$ select 'two' $$;

create function contract_fixtures.void_fn() returns void language sql volatile as $$ select $$;
create function contract_fixtures.series(n int) returns setof int language sql immutable
    as $$ select pg_catalog.generate_series(1, n) $$;
create function contract_fixtures.all_items() returns setof contract_fixtures.items language sql stable
    as $$ select * from contract_fixtures.items order by id $$;
create function contract_fixtures.one_item(item_id int) returns contract_fixtures.items language sql stable
    as $$ select * from contract_fixtures.items where id = item_id $$;
create function contract_fixtures.pair(out x int, out y text) language sql immutable
    as $$ select 1, 'one' $$;
create function contract_fixtures.table_fn(n int) returns table (k int, v text) language sql immutable
    as $$ select g, 'v' || g from pg_catalog.generate_series(1, n) as g $$;
create function contract_fixtures.raw_json(json) returns json language sql immutable as $$ select $1 $$;

create function contract_fixtures.raise_p0001() returns int language plpgsql as $$
begin
    raise exception 'I refuse!' using detail = 'Pretty simple', hint = 'There is nothing you can do.';
end $$;
create function contract_fixtures.raise_code(code text) returns int language plpgsql as $$
begin
    raise exception using errcode = raise_code.code, message = 'raised ' || raise_code.code,
        detail = 'detail of ' || raise_code.code, hint = 'hint of ' || raise_code.code;
end $$;
create function contract_fixtures.raise_pgrst() returns int language plpgsql as $$
begin
    raise sqlstate 'PGRST' using
        message = '{"code":"LCR42","message":"custom body","details":"d","hint":"h"}',
        detail = '{"status":418,"headers":{"X-Teapot":"yes"}}';
end $$;
create function contract_fixtures.slow() returns int language sql volatile
    set statement_timeout = '200ms' as $$ select 1 from pg_catalog.pg_sleep(2) $$;
create function contract_fixtures.writer(note text) returns bigint language sql volatile as $$
    insert into contract_fixtures.notes (note) values (writer.note) returning id
$$;
create function contract_fixtures.writer_rows(note text) returns setof contract_fixtures.notes
language sql volatile as $$
    insert into contract_fixtures.notes (note) values (writer_rows.note) returning *
$$;
grant insert on contract_fixtures.notes to anon, authenticated, service_role;
grant usage on sequence contract_fixtures.notes_id_seq to anon, authenticated, service_role;
create function contract_fixtures.with_status() returns text language plpgsql as $$
begin
    perform pg_catalog.set_config('response.status', '201', true);
    perform pg_catalog.set_config('response.headers', '[{"X-Custom": "yes"}]', true);
    return 'created';
end $$;
create function contract_fixtures.bad_status(status text default 'nope') returns text language plpgsql as $$
begin
    perform pg_catalog.set_config('response.status', bad_status.status, true);
    return 'x';
end $$;

create function contract_fixtures.members_only() returns text language sql stable as $$ select 'secret' $$;
revoke execute on function contract_fixtures.members_only() from public, anon;
grant execute on function contract_fixtures.members_only() to authenticated, service_role;

-- Everything else is callable by the API roles (PostgreSQL's default grants EXECUTE to PUBLIC, but a
-- migration's default privileges may have revoked it).
do $grants$
declare
    f regprocedure;
begin
    for f in select p.oid::regprocedure from pg_catalog.pg_proc p
             where p.pronamespace = 'contract_fixtures'::regnamespace and p.proname <> 'members_only'
    loop
        execute pg_catalog.format('grant execute on function %s to anon, authenticated, service_role', f);
    end loop;
end
$grants$;
