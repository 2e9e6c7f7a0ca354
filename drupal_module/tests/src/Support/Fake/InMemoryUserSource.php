<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Support\Fake;

use Drupal\entra_provisioning\Provisioning\BulkScope;
use Drupal\entra_provisioning\Provisioning\UserSourceInterface;

final class InMemoryUserSource implements UserSourceInterface {

  /**
   * @var array<int, array<string, mixed>>
   */
  public array $users = [];

  /**
   * @var list<list<string>>
   */
  public array $requestedFields = [];

  /**
   * @param array<string, mixed> $fields
   */
  public function add(int $uid, string $name, ?string $mail = NULL, array $fields = []): void {
    $this->users[$uid] = [
      'uid' => $uid,
      'name' => $name,
      'mail' => $mail ?? $name . '@example.com',
      'status' => 1,
      'roles' => ['authenticated'],
      'fields' => $fields,
    ];
  }

  public function load(int $uid, array $fieldNames): ?array {
    $this->requestedFields[] = $fieldNames;
    if (!isset($this->users[$uid])) {
      return NULL;
    }
    $user = $this->users[$uid];
    $user['fields'] = array_intersect_key($user['fields'], array_flip($fieldNames));

    return $user;
  }

  public function loadMultiple(array $uids, array $fieldNames): array {
    $users = [];
    foreach ($uids as $uid) {
      $user = $this->load($uid, $fieldNames);
      if ($user !== NULL) {
        $users[$uid] = $user;
      }
    }

    return $users;
  }

  /**
   * @var list<list<int>>
   */
  public array $cacheResets = [];

  public function resetCache(array $uids): void {
    $this->cacheResets[] = $uids;
  }

  public function uidsAfter(int $afterUid, int $limit, BulkScope $scope): array {
    $uids = [];
    foreach ($this->users as $uid => $user) {
      if ($uid > $afterUid && $uid >= $scope->minUid() && ($scope->includeBlocked || !empty($user['status']))) {
        $uids[] = $uid;
      }
    }
    sort($uids);

    return array_slice($uids, 0, $limit);
  }

  public function count(BulkScope $scope): int {
    return count($this->uidsAfter(0, PHP_INT_MAX, $scope));
  }

  public function uidsByNames(array $names): array {
    $found = [];
    foreach ($names as $name) {
      foreach ($this->users as $uid => $user) {
        if (mb_strtolower((string) $user['name']) === mb_strtolower($name)) {
          $found[$name] = $uid;
        }
      }
    }

    return $found;
  }

}
