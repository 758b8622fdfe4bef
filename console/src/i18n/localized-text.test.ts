import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { applyLocale } from './locale.js';
import { statusLabel } from '../components/ts-status-badge.js';
import { statusMessages } from '../data/status.js';
import { describeProcess } from '../data/system.js';
import type { SupervisedProcess } from '../data/system.js';
import { agentRoleLabel, dropReasons } from '../data/agents.js';
import { enrolmentTokenStateLabel } from '../data/enrolment.js';
import { userRoleLabel } from '../data/users.js';
import { auditActionLabel, auditDetailsText, auditTargetLabel } from '../data/audit.js';
import { metricsRangeLabel } from '../data/hosts.js';

// The texts the data modules and the status badge make, in both languages and across a switch.
// `applyLocale` needs a window (for lit-localize's status events) and a document (for `<html lang>`).

const backingOff: SupervisedProcess = {
  name: 'lab',
  state: 'backing-off',
  pid: null,
  restarts: 5,
  consecutiveFailures: 5,
  startedAt: '2026-12-01T09:59:59Z',
  lastExit: { at: '2026-12-01T09:59:59Z', code: 1, signal: null, reason: 'cannot bind udp: address in use' },
  nextRestartAt: '2026-12-01T10:00:16Z',
};
const now = Date.parse('2026-12-01T10:00:00Z');

const fullState = {
  shuttingDown: true,
  storage: [
    {
      store: 'state' as const,
      sources: ['write' as const],
      reason: 'disk full (SQLSTATE 53100)',
      since: '2026-03-02T08:15:04.123Z',
      alarm: 'pending' as const,
    },
  ],
};

beforeAll(() => {
  vi.stubGlobal('window', new EventTarget());
  vi.stubGlobal('document', { documentElement: { lang: '' } });
});

afterAll(async () => {
  await applyLocale('en');
  vi.unstubAllGlobals();
});

describe('texts in English (the source locale)', () => {
  it('labels known words and shows unknown ones as they come', () => {
    expect(statusLabel('online')).toBe('online');
    expect(statusLabel('used-up')).toBe('used up');
    expect(statusLabel('brand-new-state')).toBe('brand-new-state');
    expect(auditActionLabel('user.create')).toBe('Created user');
    expect(auditActionLabel('link.update')).toBe('Changed link');
    expect(auditActionLabel('something.new')).toBeUndefined();
    expect(auditTargetLabel('org-unit')).toBe('org unit');
    expect(auditTargetLabel('gizmo')).toBe('gizmo');
    expect(userRoleLabel('network-operator')).toBe('network-operator');
    expect(metricsRangeLabel('7d')).toBe('7d');
    expect(auditDetailsText({ reason: 'wrong password', wasLocked: false, roles: ['edge'], zone: 3 })).toBe(
      'reason=wrong password was locked=no roles=["edge"] zone=3',
    );
    expect(auditDetailsText(null)).toBe('');
  });
});

describe('texts in Simplified Chinese', () => {
  beforeAll(async () => {
    await applyLocale('zh-CN');
  });

  it('words the status banner in Chinese, keeping the server’s reason and the time', () => {
    const [shutdown, storage, ...rest] = statusMessages(fullState);
    expect(rest).toEqual([]);
    expect(shutdown).toBe('管控平台正在关闭；控制台将自动重新连接。');
    expect(storage).toBe(
      '状态库（配置、用户、告警）自 2026-03-02 08:15 UTC 起存储空间已满（disk full (SQLSTATE 53100)）；' +
        '在释放空间之前，所有更改都将被拒绝。状态库恢复写入后，将补记相应告警。',
    );
  });

  it('describes a supervised process in Chinese with its own exit reason', () => {
    expect(describeProcess(backingOff, now)).toBe(
      'lab：等待重启，已重启 5 次，上次退出码 1：cannot bind udp: address in use，16 秒后重新启动',
    );
    expect(
      describeProcess({ ...backingOff, state: 'waiting', waitingFor: 'edge agent', restarts: 0 }, now),
    ).toBe('lab：等待 edge agent');
  });

  it('uses the glossary words for statuses, roles and states', () => {
    expect(['online', 'stale', 'offline'].map(statusLabel)).toEqual(['在线', '延迟', '离线']);
    expect(['up', 'down', 'unknown'].map(statusLabel)).toEqual(['正常', '中断', '未知']);
    expect(['critical', 'major', 'minor', 'warning'].map(statusLabel)).toEqual([
      '紧急',
      '重要',
      '次要',
      '提示',
    ]);
    expect(statusLabel('failed over')).toBe('已切换至备用');
    expect(statusLabel('brand-new-state')).toBe('brand-new-state');
    expect(enrolmentTokenStateLabel('used-up')).toBe('已用完');
    expect(agentRoleLabel('edge')).toBe('边缘');
    expect(agentRoleLabel('custom')).toBe('custom');
    expect(userRoleLabel('auditor')).toBe('审计员');
    expect(metricsRangeLabel('1h')).toBe('1 小时');
    expect(
      dropReasons({ pendingBatches: 0, pendingBytes: 0, droppedBatches: 3 }).map((r) => r.label),
    ).toEqual(['未上报原因']);
  });

  it('labels audit actions and targets, and leaves unknown actions to the caller', () => {
    expect(auditActionLabel('agent.revoke')).toBe('吊销采集器');
    expect(auditActionLabel('snmp-credential.create')).toBe('创建 SNMP 凭据');
    expect(auditActionLabel('something.new')).toBeUndefined();
    expect(auditTargetLabel('org-unit')).toBe('单位');
    expect(
      auditDetailsText({
        reason: 'wrong password',
        wasLocked: true,
        orgUnitId: 'sc',
        roles: ['edge'],
        zone: 3,
      }),
    ).toBe('原因=wrong password 原已锁定=是 单位=sc 角色=["edge"] zone=3');
  });

  it('follows a switch back to English', async () => {
    await applyLocale('en');
    expect(statusLabel('online')).toBe('online');
    expect(describeProcess(backingOff, now)).toBe(
      'lab: backing off, 5 restarts, last exit code 1: cannot bind udp: address in use, next start in 16 s',
    );
    await applyLocale('zh-CN');
    expect(statusLabel('online')).toBe('在线');
  });
});
