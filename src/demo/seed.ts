/**
 * @module The demo target's contents: an application role with a password only Airlock holds, and
 * a small `customers` table with the kind of data masking will later protect.
 */
import type { PostgresCluster } from './postgres-cluster.js';

/** Creates role `demo_app` (SCRAM password), database `demo` and a `customers` table. */
export async function seedDemoDatabase(cluster: PostgresCluster, password: string): Promise<void> {
  await cluster.psql(`create role demo_app login password '${password}'`);
  await cluster.psql('create database demo owner demo_app');
  await cluster.psql(
    `set role demo_app;
     create table customers (id serial primary key, name text not null, email text not null,
       card_number text, country text, created_at timestamptz default now());
     insert into customers (name, email, card_number, country) values
       ('Ada Lovelace', 'ada@example.com', '4111111111111111', 'GB'),
       ('Grace Hopper', 'grace@example.com', '5500005555555559', 'US'),
       ('Katherine Johnson', 'katherine@example.com', '340000000000009', 'US'),
       ('Margaret Hamilton', 'margaret@example.com', '6011000000000004', 'US');`,
    'demo',
  );
}
