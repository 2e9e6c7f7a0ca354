<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

/**
 * The Entra ID groups the rules and scopes name, as Graph has them now:
 * displayName, members (nested included, from Graph's eventual count
 * index) and whether the group may receive members ("drush entra:groups").
 */
final class GroupOverview {

  public function __construct(
    private ClientFactory $clients
  ) {
  }

  /**
   * @return list<array{id: string, name: string, uses: list<string>, members: ?int, target: string}>
   *
   * @throws \Drupal\entra_provisioning\Native\Exception\EntraException
   */
  public function rows(): array {
    $settings = $this->clients->settings();
    $uses = [];
    foreach ($settings->importRules() as $rule) {
      $uses[$rule['group_id']][] = 'gives role ' . $rule['role'];
    }
    foreach ($settings->importScopeGroups() as $id) {
      $uses[$id][] = 'import scope';
    }
    foreach ($settings->provisionRules() as $rule) {
      $uses[$rule['group_id']][] = 'members with role ' . $rule['role'];
    }
    unset($uses['']);
    if ($uses === []) {
      return [];
    }
    $ids = array_map('strval', array_keys($uses));
    $client = $this->clients->client($settings->interactiveBudgetMs());
    $groups = [];
    $read = $client->groups(['op' => 'get', 'ids' => $ids]);
    foreach (is_array($read['groups'] ?? NULL) ? $read['groups'] : [] as $group) {
      if (is_array($group) && is_string($group['id'] ?? NULL)) {
        $groups[strtolower($group['id'])] = $group;
      }
    }
    $counts = $client->groups(['op' => 'member_counts', 'ids' => $ids]);
    $counted = [];
    foreach (is_array($counts['counts'] ?? NULL) ? $counts['counts'] : [] as $id => $n) {
      $counted[strtolower((string) $id)] = is_int($n) ? $n : NULL;
    }
    $rows = [];
    foreach ($uses as $id => $what) {
      $id = (string) $id;
      $group = $groups[strtolower($id)] ?? NULL;
      $target = is_array($group['target'] ?? NULL) ? $group['target'] : NULL;
      $rows[] = [
        'id' => $id,
        'name' => $group === NULL ? '(not found in Entra ID)' : (string) ($group['displayName'] ?? ''),
        'uses' => $what,
        'members' => $counted[strtolower($id)] ?? NULL,
        'target' => $target === NULL ? '-' : (!empty($target['allowed']) ? 'yes' : 'no: ' . (string) ($target['message'] ?? $target['reason'] ?? '')),
      ];
    }

    return $rows;
  }

}
