/**
 * `kubectl hpc completion bash|zsh`: a shell script that completes `kubectl-hpc` run on its own. Under
 * `kubectl hpc`, kubectl (1.26+) completes through the executable `kubectl_complete-hpc` on PATH instead,
 * which calls `kubectl-hpc __complete` (src/cli/complete.ts) the same way. Both speak Cobra's protocol:
 * candidates one per line, then `:<directive>`.
 */
import { UsageError } from '../args.js';
import { COMMON_FLAGS, type CliContext, type Command } from '../command.js';

const BASH = `# bash completion for kubectl-hpc: source <(kubectl hpc completion bash)
_kubectl_hpc() {
  local cur=\${COMP_WORDS[COMP_CWORD]} line
  local -a words=()
  while IFS= read -r line; do
    case $line in :*) ;; *) words+=("\${line%%$'\\t'*}") ;; esac
  done < <(kubectl-hpc __complete "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null)
  COMPREPLY=()
  for line in "\${words[@]}"; do
    [[ $line == "$cur"* ]] && COMPREPLY+=("$line")
  done
}
complete -F _kubectl_hpc kubectl-hpc
`;

const ZSH = `#compdef kubectl-hpc
# zsh completion for kubectl-hpc: source <(kubectl hpc completion zsh)
_kubectl_hpc() {
  local -a lines
  lines=("\${(@f)$(kubectl-hpc __complete "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  lines=("\${(@)lines:#:*}")
  compadd -- "\${(@)lines%%$'\\t'*}"
}
compdef _kubectl_hpc kubectl-hpc
`;

export const completion: Command = {
  name: 'completion',
  summary: 'Print a shell completion script for kubectl-hpc (bash or zsh).',
  usage: ['completion bash|zsh'],
  details: `For \`kubectl hpc <TAB>\`, put kubectl_complete-hpc (next to kubectl-hpc in the krew archive, and
in plugins/) on PATH: kubectl 1.26+ asks it. For kubectl-hpc on its own:
  source <(kubectl hpc completion bash)      # in ~/.bashrc
  source <(kubectl hpc completion zsh)       # in ~/.zshrc, after compinit`,
  flags: [...COMMON_FLAGS],
  run(ctx: CliContext): Promise<number> {
    const [shell, ...rest] = ctx.args.positionals;
    if (rest.length > 0 || (shell !== 'bash' && shell !== 'zsh'))
      throw new UsageError('completion takes one shell: bash or zsh');
    ctx.out.write(shell === 'bash' ? BASH : ZSH);
    return Promise.resolve(0);
  },
};
