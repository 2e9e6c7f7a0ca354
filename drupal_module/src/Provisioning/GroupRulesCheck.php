<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

/**
 * Step 3's group <-> role rules before they are saved: the groups they name
 * are read from Graph (entra_groups "get", with the library's target check)
 * and the library judges the rules (entra_decide "group_rules_check": a
 * restricted or admin role needs the rule's confirmation, a provisioning
 * rule needs a group that may receive members, ...). Each problem comes back
 * with the form element it belongs to.
 */
final class GroupRulesCheck {

  public const IMPORT_RULES = 'import_rules';
  public const PROVISION_RULES = 'provision_rules';

  public function __construct(
    private ClientFactory $clients,
    private RoleFactsInterface $roles
  ) {
  }

  /**
   * @param array<int|string, array{group_id: string, role: string, confirmed?: bool}> $importRules
   *   Row key => rule (the key is the form row).
   * @param array<int|string, array{role: string, group_id: string}> $provisionRules
   *
   * @return array{errors: list<array{element: string, message: string}>, groups: array<string, array<string, mixed>|null>}
   *   "element" is "<table>][<row>][<field>" (FormStateInterface::setErrorByName());
   *   "groups" the group objects read, keyed by id (null: no such group).
   *
   * @throws \Drupal\entra_provisioning\Native\Exception\EntraException
   *   When Graph cannot be read.
   */
  public function check(array $importRules, array $provisionRules): array {
    $ids = [];
    foreach ([$importRules, $provisionRules] as $rules) {
      foreach ($rules as $rule) {
        if ($rule['group_id'] !== '') {
          $ids[strtolower($rule['group_id'])] = $rule['group_id'];
        }
      }
    }
    $groups = $ids === [] ? [] : $this->read(array_values($ids));
    $answer = $this->clients->decide([
      'decide' => 'group_rules_check',
      'import_rules' => array_values(array_map(static fn (array $r): array => ['group_id' => $r['group_id'], 'role' => $r['role'], 'confirmed' => !empty($r['confirmed'])], $importRules)),
      'provision_rules' => array_values(array_map(static fn (array $r): array => ['role' => $r['role'], 'group_id' => $r['group_id']], $provisionRules)),
      'role_facts' => $this->roles->facts(),
      'groups' => (object) $groups,
    ]);
    $rows = [
      'entra_to_drupal' => [self::IMPORT_RULES, array_keys($importRules)],
      'drupal_to_entra' => [self::PROVISION_RULES, array_keys($provisionRules)],
    ];
    $errors = [];
    foreach (is_array($answer['errors'] ?? NULL) ? $answer['errors'] : [] as $error) {
      if (!is_array($error) || !isset($rows[$error['direction'] ?? ''])) {
        continue;
      }
      [$table, $keys] = $rows[$error['direction']];
      $row = $keys[(int) ($error['index'] ?? 0)] ?? 0;
      $field = in_array($error['field'] ?? NULL, ['group_id', 'role', 'confirmed'], TRUE) ? $error['field'] : 'group_id';
      $errors[] = ['element' => $table . '][' . $row . '][' . $field, 'message' => (string) ($error['message'] ?? $error['reason'] ?? '')];
    }

    return ['errors' => $errors, 'groups' => $groups];
  }

  /**
   * Groups whose displayName starts a word with $query, each with the
   * library's "target" (whether it may receive members, and why not).
   *
   * @return list<array<string, mixed>>
   *
   * @throws \Drupal\entra_provisioning\Native\Exception\EntraException
   */
  public function search(string $query, int $top = 25): array {
    $answer = $this->clients->client($this->clients->settings()->interactiveBudgetMs())->groups(['op' => 'search', 'query' => $query, 'top' => $top]);

    return array_values(array_filter(is_array($answer['groups'] ?? NULL) ? $answer['groups'] : [], 'is_array'));
  }

  /**
   * @param list<string> $ids
   *
   * @return array<string, array<string, mixed>|null>
   */
  private function read(array $ids): array {
    $answer = $this->clients->client($this->clients->settings()->interactiveBudgetMs())->groups(['op' => 'get', 'ids' => $ids]);
    $groups = [];
    foreach (is_array($answer['groups'] ?? NULL) ? $answer['groups'] : [] as $group) {
      if (is_array($group) && is_string($group['id'] ?? NULL)) {
        $groups[$group['id']] = $group;
      }
    }
    foreach (is_array($answer['missing'] ?? NULL) ? $answer['missing'] : [] as $id) {
      if (is_string($id)) {
        $groups[$id] = NULL;
      }
    }

    return $groups;
  }

}
