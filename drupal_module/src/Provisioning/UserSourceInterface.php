<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

/**
 * Reads Drupal accounts in the shape the native library expects.
 */
interface UserSourceInterface
{
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
     * Uids of active accounts above $afterUid, ascending, at most $limit
     * (pages through every active account without holding them in memory).
     *
     * @return list<int>
     */
    public function activeUidsAfter(int $afterUid, int $limit): array;

    /**
     * The number of active accounts (the anonymous user excluded).
     */
    public function countActive(): int;

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
