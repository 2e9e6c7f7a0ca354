<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Unit\Provisioning\Fake;

use Drupal\entra_provisioning\Provisioning\UserSourceInterface;

final class InMemoryUserSource implements UserSourceInterface
{
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
    public function add(int $uid, string $name, ?string $mail = null, array $fields = []): void
    {
        $this->users[$uid] = [
            'uid' => $uid,
            'name' => $name,
            'mail' => $mail ?? $name . '@example.com',
            'status' => 1,
            'roles' => ['authenticated'],
            'fields' => $fields,
        ];
    }

    public function load(int $uid, array $fieldNames): ?array
    {
        $this->requestedFields[] = $fieldNames;
        if (!isset($this->users[$uid])) {
            return null;
        }
        $user = $this->users[$uid];
        $user['fields'] = array_intersect_key($user['fields'], array_flip($fieldNames));

        return $user;
    }
}
