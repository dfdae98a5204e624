import { maintenanceReaderFor, pilotTiming, type MaintenanceWindow } from './maintenance.js';

const at = (iso: string) => Date.parse(iso);
const NOW = at('2026-12-03T02:00:00Z');

describe('maintenance windows from each batch system', () => {
  it('SLURM: MAINT reservations from `scontrol show reservation -o` as run on the local site (epoch times)', () => {
    // Printed by SLURM 24.11.5 on the stack for `scontrol create reservation ... flags=maint` and a user one.
    const out = [
      'ReservationName=probe1 StartTime=1796284420 EndTime=1796286220 Duration=00:30:00 Nodes=hpc-site NodeCnt=1 CoreCnt=4 Features=(null) PartitionName=(null) Flags=MAINT,SPEC_NODES,ALL_NODES TRES=cpu=4 Users=root Groups=(null) Accounts=(null) Licenses=(null) State=INACTIVE BurstBuffer=(null) MaxStartDelay=(null)',
      'ReservationName=alice StartTime=1796284420 EndTime=1796286220 Duration=00:30:00 Nodes=hpc-site NodeCnt=1 CoreCnt=4 Features=(null) PartitionName=debug Flags=SPEC_NODES TRES=cpu=4 Users=alice Groups=(null) Accounts=(null) Licenses=(null) State=INACTIVE BurstBuffer=(null) MaxStartDelay=(null)',
    ].join('\n');
    const reader = maintenanceReaderFor('slurm');
    expect(reader.list).toEqual(['env', 'SLURM_TIME_FORMAT=%s', 'scontrol', 'show', 'reservation', '-o']);
    expect(reader.parse(out, NOW)).toEqual([
      { name: 'probe1', startMs: 1796284420_000, endMs: 1796286220_000, queue: undefined },
    ]);
    expect(reader.parse('No reservations in the system\n', NOW)).toEqual([]);
  });

  it('PBS Pro: maintenance reservations (ids M...) from `pbs_rstat -f` (recorded documented format, no PBS here)', () => {
    const out = `Resv ID: R226.pbs1
Reserve_Name = NULL
Reserve_Owner = user1@pbs1
reserve_state = RESV_CONFIRMED
reserve_start = Thu Dec  3 10:00:00 2026
reserve_end = Thu Dec  3 11:00:00 2026
reserve_duration = 3600
queue = R226
Resv ID: M227.pbs1
Reserve_Name = maint
Reserve_Owner = root@pbs1
reserve_state = RESV_CONFIRMED
reserve_start = Fri Dec 04 06:00:00 2026
reserve_end = Fri Dec 04 18:00:00 2026
reserve_duration = 43200
queue = M227
`;
    const reader = maintenanceReaderFor('torque');
    expect(reader.list).toEqual(['env', 'TZ=UTC', 'pbs_rstat', '-f']);
    expect(reader.parse(out, NOW)).toEqual([
      { name: 'M227.pbs1', startMs: at('2026-12-04T06:00:00Z'), endMs: at('2026-12-04T18:00:00Z') },
    ]);
  });

  it('LSF: system reservations from `brsvs`, one-time and recurring (recorded documented format, no LSF here)', () => {
    const out = `RSVID      TYPE    USER      NCPUS   RSV_HOSTS      TIME_WINDOW
user1#0    user    user1     0/1024  hostA:0/256    12/3/4/0-12/3/5/0
                                     hostB:0/768
system#0   sys     system    1024    hostA:0/256    12/4/6/0-12/4/18/30
system#1   sys     system    1024    hostA:0/256    4:22:0-5:2:0 *
system#2   sys     system    1024    hostA:0/256    1:30-2:0 *
`;
    const reader = maintenanceReaderFor('lsf');
    expect(reader.parse(out, NOW)).toEqual([
      { name: 'system#0', startMs: at('2026-12-04T06:00:00Z'), endMs: at('2026-12-04T18:30:00Z') },
      // 2026-12-03 is a Thursday (day 4): the weekly window from 22:00 to Friday 02:00.
      { name: 'system#1', startMs: at('2026-12-03T22:00:00Z'), endMs: at('2026-12-04T02:00:00Z') },
      // Daily 01:30-02:00: today's ended at 02:00 (now), so tomorrow's.
      { name: 'system#2', startMs: at('2026-12-04T01:30:00Z'), endMs: at('2026-12-04T02:00:00Z') },
    ]);
  });

  it('LSF: a daily window across midnight that is on now is the current one', () => {
    const out = 'system#3   sys     system    1024    hostA:0/256    23:0-1:0 *\n';
    expect(maintenanceReaderFor('lsf').parse(out, at('2026-12-03T00:30:00Z'))).toEqual([
      { name: 'system#3', startMs: at('2026-12-02T23:00:00Z'), endMs: at('2026-12-03T01:00:00Z') },
    ]);
  });

  it('LSF: a one-time window in the new year is read as next year', () => {
    const out = 'system#4   sys     system    1024    hostA:0/256    1/2/6/0-1/2/8/0\n';
    expect(maintenanceReaderFor('lsf').parse(out, at('2026-12-30T00:00:00Z'))).toEqual([
      { name: 'system#4', startMs: at('2027-01-02T06:00:00Z'), endMs: at('2027-01-02T08:00:00Z') },
    ]);
  });

  it("SGE: root's advance reservations from `qrstat -u '*' -xml` as run on the local site", () => {
    // Printed by Son of Grid Engine 8.1.9 on the stack after `qrsub -a ... -d 00:30:00 -N probe2` as root.
    const out = `<?xml version='1.0'?>
<qrstat xmlns:xsd="http://arc.liv.ac.uk/repos/darcs/sge/source/dist/util/resources/schemas/qrstat/qrstat.xsd">
   <ar_summary>
      <id>1</id>
      <name>probe2</name>
      <owner>root</owner>
      <state>w</state>
      <start_time>2026-12-03T07:53:00</start_time>
      <end_time>2026-12-03T08:23:00</end_time>
      <duration>00:30:00</duration>
   </ar_summary>
   <ar_summary>
      <id>2</id>
      <name>mine</name>
      <owner>alice</owner>
      <state>w</state>
      <start_time>2026-12-03T07:53:00</start_time>
      <end_time>2026-12-03T08:23:00</end_time>
      <duration>00:30:00</duration>
   </ar_summary>
</qrstat>`;
    expect(maintenanceReaderFor('sge').parse(out, NOW)).toEqual([
      { name: 'probe2', startMs: at('2026-12-03T07:53:00Z'), endMs: at('2026-12-03T08:23:00Z') },
    ]);
  });

  it('names the batch system it has no reader for', () => {
    expect(() => maintenanceReaderFor('condor')).toThrow(/condor/);
  });
});

describe('pilotTiming', () => {
  const window = (name: string, start: string, end: string, queue?: string): MaintenanceWindow => ({
    name,
    startMs: at(start),
    endMs: at(end),
    queue,
  });
  const base = { nowMs: NOW, walltimeSeconds: 4 * 3600, minimumSeconds: 1800, marginSeconds: 300 };

  it('keeps the walltime when no window is near', () => {
    expect(pilotTiming([window('m', '2026-12-03T08:00:00Z', '2026-12-03T09:00:00Z')], base)).toEqual({
      kind: 'submit',
      walltimeSeconds: 4 * 3600,
    });
  });

  it('shortens a pilot so that it ends a margin before the window', () => {
    const m = window('m', '2026-12-03T04:00:00Z', '2026-12-03T05:00:00Z');
    expect(pilotTiming([m], base)).toEqual({ kind: 'submit', walltimeSeconds: 2 * 3600 - 300, before: m });
  });

  it('waits until the window and any that join it are over when too little time is left', () => {
    const a = window('a', '2026-12-03T02:10:00Z', '2026-12-03T03:00:00Z');
    const b = window('b', '2026-12-03T02:50:00Z', '2026-12-03T04:00:00Z');
    const later = window('c', '2026-12-03T06:00:00Z', '2026-12-03T07:00:00Z');
    expect(pilotTiming([later, b, a], base)).toEqual({
      kind: 'wait',
      window: a,
      untilMs: at('2026-12-03T04:00:00Z'),
    });
  });

  it('waits during a window that is on now', () => {
    const m = window('m', '2026-12-03T01:00:00Z', '2026-12-03T03:00:00Z');
    expect(pilotTiming([m], base)).toEqual({ kind: 'wait', window: m, untilMs: at('2026-12-03T03:00:00Z') });
  });

  it('ignores windows that are over and those of another queue', () => {
    const over = window('old', '2026-12-02T01:00:00Z', '2026-12-02T03:00:00Z');
    const debug = window('dbg', '2026-12-03T02:10:00Z', '2026-12-03T03:00:00Z', 'debug');
    expect(pilotTiming([over, debug], { ...base, queue: 'batch' })).toEqual({
      kind: 'submit',
      walltimeSeconds: 4 * 3600,
    });
    expect(pilotTiming([debug], { ...base, queue: 'debug' }).kind).toBe('wait');
  });
});
