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
}
