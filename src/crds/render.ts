/** Renders the CRDs as the YAML files committed under config/crd/bases (kubebuilder's naming). */
import { stringify } from 'yaml';
import { allCRDs } from './crd.js';

const HEADER = '# Generated from src/crds by `make manifests`. Do not edit.\n';

export function renderCRDs(): { file: string; text: string }[] {
  return allCRDs.map((crd) => ({
    file: `config/crd/bases/${crd.spec.group}_${crd.spec.names.plural}.yaml`,
    text: HEADER + stringify(crd, { lineWidth: 0, version: '1.1' }),
  }));
}
