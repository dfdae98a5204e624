import { describe, expect, it } from '@jest/globals';
import { classAdProblem, imageProblem, validateSpec } from './validate.js';

describe('classAdProblem', () => {
  it.each([
    '(TARGET.Memory >= 2048)',
    'TARGET.OpSysMajorVer >= 9 && (Arch == "X86_64" || Arch == "aarch64")',
    'member("x", {"x", "y"}) && !isUndefined(TARGET.HasDocker)',
    'TARGET.Foo =?= undefined',
    'a ? b : c',
    '\'Owner\' == "root"',
    'x == "/* not a comment */"',
  ])('accepts %j', (e) => expect(classAdProblem(e)).toBeUndefined());

  it.each([
    ['', /empty/],
    ['   ', /empty/],
    ['(TARGET.Memory > 1', /^HTCondor cannot parse it: expected an operator or "\)" at column 19/],
    ['TARGET.Memory > 1)', /^HTCondor cannot parse it: expected an operator or the end .* at column 18/],
    ['Arch == "X86', /^HTCondor cannot parse it: a string that never ends at column 9/],
    ['x == "C:\\"', /^HTCondor cannot parse it: a string that never ends/],
    ['$$(Memory) > 1', /^"\$\$" at column 1: submit macros/],
    ['x == "$(Owner)"', /^"\$\(" at column 7: submit macros/],
    ['true\nqueue 10', /line breaks/],
    ['true; rm -rf /', /^HTCondor cannot parse it: expected an operator .* found ";"/],
    ['`id`', /not part of the ClassAd language/],
    ['true) || (true', /^it is not an expression on its own .* at column 5/],
    ['true ? 1 : 2 )', /^HTCondor cannot parse it/],
    ['true /* x */', /^comment at column 6: comments are not allowed/],
    ['true /* ( */ ) || ( true /* ) */', /^comment at column 6/],
    ['true // x', /^comment at column 6/],
  ])('refuses %j', (e, why) => expect(classAdProblem(e)).toMatch(why));

  it('names the field first', () => {
    expect(validateSpec({ command: ['true'], requirements: 'Memory >' })?.message).toBe(
      'spec.requirements: HTCondor cannot parse it: expected an operand at column 9, found the end of the expression',
    );
  });
});

describe('imageProblem', () => {
  it.each([
    'docker://ghcr.io/org/step:1.2',
    'docker://python:3.12-slim',
    'reanahub/reana-env-root6:6.18.04',
    'dir:///images/debian13',
    '/cvmfs/unpacked.cern.ch/registry.hub.docker.com/library/centos:7',
    '/scratch/images/root.sif',
    'oras://ghcr.io/org/img:latest',
    'docker://registry.example.org:5000/a/b@sha256:' + 'a'.repeat(64),
  ])('accepts %j', (i) => expect(imageProblem(i)).toBeUndefined());

  it.each([
    'docker://UPPER/case',
    'dir://relative/path',
    'ftp://x/y',
    'img:tag with space',
    '/path/$(id)',
    'docker://a/b:"x"',
  ])('refuses %j', (i) => expect(imageProblem(i)).toBeDefined());
});

describe('validateSpec', () => {
  it('accepts a plain spec', () => {
    expect(validateSpec({ command: ['true'] })).toBeUndefined();
  });

  it('names the field of a problem', () => {
    expect(validateSpec({ command: ['true'], requirements: '(x' })?.field).toBe('spec.requirements');
    expect(validateSpec({ command: ['true'], image: 'ftp://x' })?.field).toBe('spec.image');
    expect(validateSpec({ command: ['true'], workspace: { path: '/reana/other/place' } })?.field).toBe(
      'spec.workspace.path',
    );
    expect(validateSpec({ script: 'x'.repeat(200 * 1024) })).toMatchObject({
      field: 'spec.script',
      reason: 'TooLarge',
    });
  });

  it.each([
    '/reana/users/u/workflows/w/../../../../etc',
    '/reana/users/u/workflows/w/./x',
    '/reana/users/../users/u/workflows/w',
    '/reana/users/u/workflows/w//x',
  ])("The operator's own workspace check accepts `..`: it refuses %j (objects CEL never checked)", (path) => {
    expect(validateSpec({ command: ['true'], workspace: { path } })).toMatchObject({
      field: 'spec.workspace.path',
      reason: 'InvalidWorkspace',
    });
  });
});
