<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Drupal;

use Drupal\Core\Entity\EntityTypeManagerInterface;
use Drupal\entra_provisioning\Provisioning\BulkScope;
use Drupal\entra_provisioning\Provisioning\UserSourceInterface;
use Drupal\user\UserInterface;

/**
 * Loads user entities as the library's "Drupal user" array.
 */
final class DrupalUserSource implements UserSourceInterface {

  public function __construct(
    private EntityTypeManagerInterface $entityTypeManager
  ) {
  }

  public function load(int $uid, array $fieldNames): ?array {
    $user = $this->entityTypeManager->getStorage('user')->load($uid);
    if (!$user instanceof UserInterface || $user->isAnonymous()) {
      return NULL;
    }

    return self::fromAccount($user, $fieldNames);
  }

  /**
   * An account object as the library's "Drupal user" array (also used by
   * the user_update hook on the account before and after the save).
   *
   * @param list<string> $fieldNames
   *
   * @return array<string, mixed>
   */
  public static function fromAccount(UserInterface $user, array $fieldNames): array {
    $fields = [];
    foreach ($fieldNames as $name) {
      if (!$user->hasField($name)) {
        continue;
      }
      $list = $user->get($name);
      if ($list->isEmpty()) {
        continue;
      }
      $property = $list->getFieldDefinition()->getFieldStorageDefinition()->getMainPropertyName();
      $values = $list->first()?->getValue() ?? [];
      $value = $property !== NULL ? ($values[$property] ?? NULL) : NULL;
      if (is_scalar($value)) {
        $fields[$name] = is_bool($value) ? (int) $value : $value;
      }
    }

    return [
      'uid' => (int) $user->id(),
      'name' => (string) $user->getAccountName(),
      'mail' => (string) $user->getEmail(),
      'status' => $user->isActive() ? 1 : 0,
      'roles' => array_values($user->getRoles()),
      'fields' => $fields,
    ];
  }

  public function loadMultiple(array $uids, array $fieldNames): array {
    $users = [];
    foreach ($this->entityTypeManager->getStorage('user')->loadMultiple($uids) as $user) {
      if ($user instanceof UserInterface && !$user->isAnonymous()) {
        $users[(int) $user->id()] = self::fromAccount($user, $fieldNames);
      }
    }

    return $users;
  }

  public function resetCache(array $uids): void {
    if ($uids !== []) {
      $this->entityTypeManager->getStorage('user')->resetCache($uids);
    }
  }

  public function uidsAfter(int $afterUid, int $limit, BulkScope $scope): array {
    $query = $this->entityTypeManager->getStorage('user')->getQuery()
      ->accessCheck(FALSE)
      ->condition('uid', max($scope->minUid() - 1, $afterUid), '>')
      ->sort('uid')
      ->range(0, max(1, $limit));
    if (!$scope->includeBlocked) {
      $query->condition('status', 1);
    }

    return array_values(array_map('intval', $query->execute()));
  }

  public function count(BulkScope $scope): int {
    $query = $this->entityTypeManager->getStorage('user')->getQuery()
      ->accessCheck(FALSE)
      ->condition('uid', $scope->minUid() - 1, '>')
      ->count();
    if (!$scope->includeBlocked) {
      $query->condition('status', 1);
    }

    return (int) $query->execute();
  }

  public function uidsByNames(array $names): array {
    $found = [];
    if ($names === []) {
      return $found;
    }
    $accounts = $this->entityTypeManager->getStorage('user')->loadByProperties(['name' => $names]);
    foreach ($accounts as $account) {
      if (!$account instanceof UserInterface || $account->isAnonymous()) {
        continue;
      }
      foreach ($names as $name) {
        if (mb_strtolower($name) === mb_strtolower((string) $account->getAccountName())) {
          $found[$name] = (int) $account->id();
        }
      }
    }

    return $found;
  }

}
