-- Supabase compatibility bootstrap for a bare PostgreSQL 15 (local stack only; NOT a migration).
--
-- A Supabase project ships these roles, schemas and auth helpers before any migration runs.
-- A bare cluster lacks them, so the local stack creates them here, the way Supabase defines
-- them (supabase/postgres init scripts, supabase/auth migrations), so that our migrations run
-- unchanged on both. Idempotent: safe to run on every `controlroom up`.

do $bootstrap$
begin
    if not exists (select from pg_catalog.pg_roles where rolname = 'anon') then
        create role anon nologin noinherit;
    end if;
    if not exists (select from pg_catalog.pg_roles where rolname = 'authenticated') then
        create role authenticated nologin noinherit;
    end if;
    if not exists (select from pg_catalog.pg_roles where rolname = 'service_role') then
        create role service_role nologin noinherit bypassrls;
    end if;
    if not exists (select from pg_catalog.pg_roles where rolname = 'authenticator') then
        create role authenticator login noinherit;
    end if;
end
$bootstrap$;

-- Supabase later made anon/authenticated INHERIT (migration 20230529180330).
alter role anon inherit;
alter role authenticated inherit;
alter role service_role nologin bypassrls;
alter role authenticator login noinherit nosuperuser nocreatedb nocreaterole;

grant anon, authenticated, service_role to authenticator;

-- Per-role timeouts, as on a Supabase project; the API applies them per request.
alter role anon set statement_timeout = '3s';
alter role authenticated set statement_timeout = '8s';
alter role authenticator set statement_timeout = '8s';
alter role authenticator set lock_timeout = '8s';

create schema if not exists extensions;
create schema if not exists auth;

grant usage on schema public, extensions to anon, authenticated, service_role;
grant usage on schema auth to anon, authenticated, service_role;

-- Supabase puts extension objects in `extensions` and keeps it on the default search path.
alter role postgres set search_path = "$user", public, extensions;

create extension if not exists pgcrypto with schema extensions;
create extension if not exists pgtap with schema extensions;
create extension if not exists pg_stat_statements with schema extensions;
-- pg_cron is preloaded by the local cluster; Supabase enables it in pg_catalog with its `cron` schema.
create extension if not exists pg_cron with schema pg_catalog;

create table if not exists auth.users (
    instance_id uuid,
    id uuid primary key,
    aud varchar(255),
    role varchar(255),
    email varchar(255) unique,
    phone text unique,
    raw_app_meta_data jsonb,
    raw_user_meta_data jsonb,
    is_anonymous boolean not null default false,
    created_at timestamptz default pg_catalog.now(),
    updated_at timestamptz default pg_catalog.now()
);
comment on table auth.users is
'Minimal stand-in for Supabase Auth''s users table (local stack only): ids that policies and members reference.';

create or replace function auth.uid() returns uuid
language sql stable
set search_path = ''
as $$
    select coalesce(
        nullif(pg_catalog.current_setting('request.jwt.claim.sub', true), ''),
        (nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
    )::uuid
$$;

create or replace function auth.role() returns text
language sql stable
set search_path = ''
as $$
    select coalesce(
        nullif(pg_catalog.current_setting('request.jwt.claim.role', true), ''),
        (nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
    )::text
$$;

create or replace function auth.email() returns text
language sql stable
set search_path = ''
as $$
    select coalesce(
        nullif(pg_catalog.current_setting('request.jwt.claim.email', true), ''),
        (nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
    )::text
$$;

create or replace function auth.jwt() returns jsonb
language sql stable
set search_path = ''
as $$
    select coalesce(
        nullif(pg_catalog.current_setting('request.jwt.claim', true), ''),
        nullif(pg_catalog.current_setting('request.jwt.claims', true), '')
    )::jsonb
$$;

grant execute on function auth.uid(), auth.role(), auth.email(), auth.jwt()
to anon, authenticated, service_role;

-- Supabase's historical default grants for objects the migration owner creates in `public`.
-- Our baseline migration revokes them; replicating them here keeps that revoke honest locally.
-- Only on a fresh database: re-granting after the migrations ran would undo their baseline.
do $defaults$
begin
    if not exists (select from pg_catalog.pg_namespace where nspname = 'supabase_migrations') then
        alter default privileges for role postgres in schema public
        grant all on tables to anon, authenticated, service_role;
        alter default privileges for role postgres in schema public
        grant all on functions to anon, authenticated, service_role;
        alter default privileges for role postgres in schema public
        grant all on sequences to anon, authenticated, service_role;
    end if;
end
$defaults$;
