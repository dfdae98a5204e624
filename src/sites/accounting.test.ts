import { accountingReaderFor } from './accounting.js';

const at = (iso: string) => Date.parse(iso);

describe('accounting readers', () => {
  it('SLURM without a database: the jobcomp file and squeue, as printed on the local site', () => {
    const out = `#jobcomp
JobId=5 UserId=hpcuser(2002) GroupId=hpcuser(2002) Name=acct-probe JobState=CANCELLED Partition=batch TimeLimit=5 StartTime=2026-12-03T02:05:10 EndTime=2026-12-03T02:05:10 NodeList=(null) NodeCnt=0 ProcCnt=2 WorkDir=/home/hpcuser ReservationName= Tres=cpu=2,mem=8G,node=1,billing=2 Account= QOS= WcKey= Cluster=unknown SubmitTime=2026-12-03T02:04:45 EligibleTime=2026-12-03T02:04:45 DerivedExitCode=0:0 ExitCode=0:0
JobId=6 UserId=hpcuser(2002) GroupId=hpcuser(2002) Name=hpabc-1 JobState=COMPLETED Partition=batch TimeLimit=5 StartTime=2026-12-03T02:05:11 EndTime=2026-12-03T02:05:14 NodeList=hpc-site NodeCnt=1 ProcCnt=2 WorkDir=/home/hpcuser ReservationName= Tres=cpu=2,mem=100M,node=1,billing=2,gres/gpu=1 Account= QOS= WcKey= Cluster=unknown SubmitTime=2026-12-03T02:05:10 EligibleTime=2026-12-03T02:05:10 DerivedExitCode=0:0 ExitCode=0:0
#tz +0100
#squeue
acct-run|1|1796263679|N/A
hpabc-2|4|1796263175|gres/gpu:2
`;
    expect(accountingReaderFor('slurm').parse(out)).toEqual([
      // Never started (NodeList=(null)): nothing used. Times in the controller's zone, here UTC+1.
      {
        name: 'hpabc-1',
        cpus: 2,
        gpus: 1,
        startMs: at('2026-12-03T01:05:11Z'),
        endMs: at('2026-12-03T01:05:14Z'),
      },
      { name: 'acct-run', cpus: 1, gpus: 0, startMs: 1796263679_000 },
      { name: 'hpabc-2', cpus: 4, gpus: 2, startMs: 1796263175_000 },
    ]);
  });

  it('SLURM with slurmdbd: sacct with epoch times (documented format; the local site has no database)', () => {
    const out = `#sacct
hpabc-1|1796200000|1796203600|4|billing=4,cpu=4,gres/gpu=2,mem=8G,node=1
hpabc-2|1796263175|Unknown|1|billing=1,cpu=1,mem=512M,node=1
hpabc-3|None|Unknown|1|
#tz +0000
#squeue
hpabc-2|1|1796263175|N/A
`;
    expect(accountingReaderFor('slurm').parse(out)).toEqual([
      { name: 'hpabc-1', cpus: 4, gpus: 2, startMs: 1796200000_000, endMs: 1796203600_000 },
      { name: 'hpabc-2', cpus: 1, gpus: 0, startMs: 1796263175_000 },
    ]);
  });

  it('SLURM: the command reads as the login user, since the period start, and quotes the user', () => {
    const cmd = accountingReaderFor('slurm').command("o'brien", at('2026-12-01T00:00:00Z'));
    expect(cmd).toContain(`sacct -X -P -n -u 'o'\\''brien' -S "$(date -d @1796083200 +%Y-%m-%dT%H:%M:%S)"`);
    expect(cmd).toContain(`squeue -h -u 'o'\\''brien' -t R`);
  });

  it('SGE: qacct blocks and running jobs from qstat -r -xml, as printed on the local site', () => {
    const out = `#qacct
==============================================================
qname        all.q
hostname     hpc-site
owner        hpcuser
jobname      hp132356b3-0
jobnumber    2
qsub_time    Thu Dec  3 02:04:52 2026
start_time   Thu Dec  3 02:04:54 2026
end_time     Thu Dec  3 02:05:02 2026
granted_pe   NONE
slots        1
ru_wallclock 8s
category     -q all.q -l gpu=2,h_rt=3600,h_vmem=512M
#qstat
<?xml version='1.0'?>
<job_info  xmlns:xsd="http://arc.liv.ac.uk/repos/darcs/sge/source/dist/util/resources/schemas/qstat/qstat.xsd">
  <queue_info>
    <job_list state="running">
      <JB_job_number>9</JB_job_number>
      <JB_name>acct-probe</JB_name>
      <JB_owner>hpcuser</JB_owner>
      <state>r</state>
      <JAT_start_time>2026-12-03T02:07:54</JAT_start_time>
      <queue_name>all.q@hpc-site</queue_name>
      <slots>1</slots>
      <full_job_name>acct-probe</full_job_name>
      <hard_request name="h_rt" resource_contribution="0.000000">120</hard_request>
      <hard_request name="h_vmem" resource_contribution="0.000000">200M</hard_request>
      <binding>NONE</binding>
    </job_list>
  </queue_info>
</job_info>
`;
    expect(accountingReaderFor('sge').parse(out)).toEqual([
      {
        name: 'hp132356b3-0',
        cpus: 1,
        gpus: 2,
        startMs: at('2026-12-03T02:04:54Z'),
        endMs: at('2026-12-03T02:05:02Z'),
      },
      { name: 'acct-probe', cpus: 1, gpus: 0, startMs: at('2026-12-03T02:07:54Z') },
    ]);
    expect(accountingReaderFor('sge').command('hpcuser', at('2026-12-01T00:00:00Z'))).toContain(
      "qacct -o hpcuser -j '*' -b 202612010000",
    );
  });

  it('PBS Pro: qstat -x -f -F json (recorded documented format, no PBS here)', () => {
    const out = `#qstat
{"timestamp":1796263000,"pbs_version":"2022.1.1","Jobs":{
 "101.pbs1":{"Job_Name":"hpabc-1","job_state":"F","stime":"Thu Dec  3 01:00:00 2026",
   "Resource_List":{"ncpus":4,"ngpus":1,"walltime":"02:00:00"},"resources_used":{"walltime":"00:30:00"}},
 "102.pbs1":{"Job_Name":"hpabc-2","job_state":"R","stime":"Thu Dec  3 02:00:00 2026",
   "Resource_List":{"ncpus":2},"resources_used":{"walltime":"00:05:00"}},
 "103.pbs1":{"Job_Name":"hpabc-3","job_state":"Q","Resource_List":{"ncpus":2}}}}
`;
    expect(accountingReaderFor('pbs').parse(out)).toEqual([
      {
        name: 'hpabc-1',
        cpus: 4,
        gpus: 1,
        startMs: at('2026-12-03T01:00:00Z'),
        endMs: at('2026-12-03T01:30:00Z'),
      },
      { name: 'hpabc-2', cpus: 2, gpus: 0, startMs: at('2026-12-03T02:00:00Z'), endMs: undefined },
    ]);
  });

  it('LSF: bjobs -o with a delimiter (recorded documented format, no LSF here)', () => {
    const out = `#bjobs
hpabc-1|8|2|Dec  3 01:00|Dec  3 01:45 L|DONE
hpabc-2|4|-|Dec  3 02:00|-|RUN
hpabc-3|4|-|-|-|PEND
`;
    expect(accountingReaderFor('lsf').parse(out)).toEqual([
      {
        name: 'hpabc-1',
        cpus: 8,
        gpus: 2,
        startMs: at(`${new Date().getUTCFullYear()}-12-03T01:00:00Z`),
        endMs: at(`${new Date().getUTCFullYear()}-12-03T01:45:00Z`),
      },
      {
        name: 'hpabc-2',
        cpus: 4,
        gpus: 0,
        startMs: at(`${new Date().getUTCFullYear()}-12-03T02:00:00Z`),
        endMs: undefined,
      },
    ]);
  });

  it('says plainly which batch system it cannot account for', () => {
    expect(() => accountingReaderFor('torque')).toThrow('allocation budgets are not supported on torque');
  });
});
