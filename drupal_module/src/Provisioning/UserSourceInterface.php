<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

/**
 * Reads Drupal accounts in the shape the native library expects.
 */
interface UserSourceInterface {

  /**
   * Loads an account as the library's "Drupal user" array:
   * ['uid', 'name', 'mail', 'status', 'roles', 'fields' => [name => scalar]].
   *
   * @param list<string> $fieldNames
   *   The fields to include in "fields" (the mapped ones); absent or empty
   *   fields are left out.
   *
   * @return array<string, mixed>|null
   *   Null when the account does not exist (or is the anonymous user).
   */
  public function load(int $uid, array $fieldNames): ?array;

  /**
   * Loads several accounts at once (one query), as load() shapes them.
   *
   * @param list<int> $uids
   * @param list<string> $fieldNames
   *
   * @return array<int, array<string, mixed>>
   *   By uid, for the accounts that exist.
   */
  public function loadMultiple(array $uids, array $fieldNames): array;

  /**
   * Forgets these accounts from the entity memory cache, so a bulk run's
   * memory does not grow with the number of users.
   *
   * @param list<int> $uids
   */
  public function resetCache(array $uids): void;

  /**
   * Uids in scope above $afterUid, ascending, at most $limit (pages
   * through every account without holding them in memory).
   *
   * @return list<int>
   */
  public function uidsAfter(int $afterUid, int $limit, BulkScope $scope): array;

  /**
   * The number of accounts in scope (the anonymous user excluded).
   */
  public function count(BulkScope $scope): int;

  /**
   * The uids of the accounts with these usernames.
   *
   * @param list<string> $names
   *
   * @return array<string, int>
   *   Username as given => uid, for the names that exist.
   */
  public function uidsByNames(array $names): array;
}
