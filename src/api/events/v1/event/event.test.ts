/** events.k8s.io/v1 Event: conversion to/from core/v1, validation, field selectors, printer. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../../client/interface.ts';
import { fieldErrorString } from '../../../../machinery/errors.ts';
import { eventCoreToV1, eventV1ToCore } from './conversion.ts';
import { validateEventV1, validateEventV1Update } from './validation.ts';
import { getEventV1Attrs } from './strategy.ts';
import { eventV1Table } from './printer.ts';
import { findResource } from '../../../resource-table.ts';

const v1Event = (): KubeObject => ({
  apiVersion: 'events.k8s.io/v1',
  kind: 'Event',
  metadata: { name: 'web.1', namespace: 'default' },
  eventTime: '2026-01-01T00:00:00.000000Z',
  reportingController: 'example.com/ctl',
  reportingInstance: 'ctl-1',
  action: 'Scale',
  reason: 'Scaled',
  regarding: { kind: 'Deployment', namespace: 'default', name: 'web', apiVersion: 'apps/v1' },
  note: 'scaled up to 3',
  type: 'Normal',
  series: { count: 2, lastObservedTime: '2026-01-01T00:01:00.000000Z' },
});

test('v1 → core renames regarding/note/reportingController and keeps the rest', () => {
  const core = eventV1ToCore(v1Event());
  assert.equal(core.apiVersion, 'v1');
  assert.deepEqual(core.involvedObject, { kind: 'Deployment', namespace: 'default', name: 'web', apiVersion: 'apps/v1' });
  assert.equal(core.message, 'scaled up to 3');
  assert.equal(core.reportingComponent, 'example.com/ctl');
  assert.equal(core.reportingInstance, 'ctl-1');
  assert.deepEqual(core.series, { count: 2, lastObservedTime: '2026-01-01T00:01:00.000000Z' });
  assert.equal(core.regarding, undefined);
  assert.equal(core.note, undefined);
});

test('core → v1 maps the deprecated fields and omits empty ones; round trip is lossless', () => {
  const core: KubeObject = {
    apiVersion: 'v1', kind: 'Event', metadata: { name: 'p.1', namespace: 'ns' },
    involvedObject: { kind: 'Pod', name: 'p', namespace: 'ns' }, reason: 'Pulled', message: 'pulled image',
    source: { component: 'kubelet', host: 'node-1' }, firstTimestamp: '2026-01-01T00:00:00Z', lastTimestamp: '2026-01-01T00:00:05Z',
    count: 3, type: 'Normal', eventTime: null, reportingComponent: '', reportingInstance: '',
  };
  const v1 = eventCoreToV1(core);
  assert.deepEqual(v1, {
    apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: { name: 'p.1', namespace: 'ns' }, eventTime: null,
    reason: 'Pulled', type: 'Normal', regarding: { kind: 'Pod', name: 'p', namespace: 'ns' }, note: 'pulled image',
    deprecatedSource: { component: 'kubelet', host: 'node-1' }, deprecatedFirstTimestamp: '2026-01-01T00:00:00Z',
    deprecatedLastTimestamp: '2026-01-01T00:00:05Z', deprecatedCount: 3,
  });
  assert.deepEqual(eventCoreToV1(eventV1ToCore(v1Event())), v1Event());
});

test('create validation: valid, then the strict events.k8s.io rules', () => {
  assert.deepEqual(validateEventV1(v1Event()), []);
  const bad = v1Event();
  delete bad.eventTime;
  bad.type = 'Odd';
  bad.deprecatedCount = 4;
  bad.series = { count: 1 };
  delete bad.reportingController;
  const errs = validateEventV1(bad).map(fieldErrorString);
  for (const want of [
    'series.count: Invalid value: "": should be at least 2',
    'series.lastObservedTime: Required value',
    'eventTime: Required value',
    'type: Invalid value: "": has invalid value: Odd',
    'count: Invalid value: "": needs to be unset',
  ]) assert.ok(errs.includes(want), `${want}\n${errs.join('\n')}`);
});

test('update: the note is immutable', () => {
  const old = v1Event();
  const upd = v1Event();
  old.metadata!.resourceVersion = upd.metadata!.resourceVersion = '7';
  upd.note = 'changed';
  assert.deepEqual(validateEventV1Update(upd, old).map(fieldErrorString), ['message: Invalid value: "changed": field is immutable']);
});

test('field selectors use the events.k8s.io names', () => {
  const a = getEventV1Attrs(v1Event());
  assert.equal(a['regarding.kind'], 'Deployment');
  assert.equal(a['regarding.name'], 'web');
  assert.equal(a.reportingController, 'example.com/ctl');
  assert.equal(a.type, 'Normal');
  assert.ok(findResource('events.k8s.io', 'v1', 'events')?.selectableFields.includes('regarding.name'));
});

test('table entry and printer: same columns as core events, cells from the converted object', () => {
  const ri = findResource('events.k8s.io', 'v1', 'events')!;
  assert.equal(ri.kind, 'Event');
  assert.ok(ri.storageCodec);
  assert.deepEqual(ri.table.columns.map((c) => c.name), findResource('', 'v1', 'events')!.table.columns.map((c) => c.name));
  const cells = eventV1Table.cells(v1Event(), Date.parse('2026-01-01T00:02:00Z'));
  assert.equal(cells[1], 'Normal');
  assert.equal(cells[2], 'Scaled');
  assert.equal(cells[3], 'deployment/web');
  assert.equal(cells[6], 'scaled up to 3');
});
