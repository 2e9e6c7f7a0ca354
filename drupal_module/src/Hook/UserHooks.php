<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Hook;

use Drupal\Core\Hook\Attribute\Hook;
use Drupal\entra_provisioning\Drupal\DrupalUserSource;
use Drupal\entra_provisioning\Drupal\PostResponseProcessor;
use Drupal\entra_provisioning\Provisioning\Lifecycle;
use Drupal\user\UserInterface;

/**
 * User hooks: they only queue work (a user save never waits on Graph). The
 * decisions are Lifecycle's; this class only reads the Drupal objects.
 */
final class UserHooks
{
    private Lifecycle $lifecycle;

    private PostResponseProcessor $postResponse;

    public function __construct(Lifecycle $lifecycle, PostResponseProcessor $postResponse)
    {
        $this->lifecycle = $lifecycle;
        $this->postResponse = $postResponse;
    }

    /**
     * Implements hook_user_insert().
     */
    #[Hook('user_insert')]
    public function userInsert(UserInterface $account): void
    {
        if ($this->lifecycle->onInsert((int) $account->id(), (string) $account->getAccountName())) {
            $this->postResponse->requestRun();
        }
    }

    /**
     * Implements hook_user_update().
     */
    #[Hook('user_update')]
    public function userUpdate(UserInterface $account): void
    {
        $fields = $this->lifecycle->mappedFieldNames();
        $original = self::original($account);
        $before = $original !== null ? DrupalUserSource::fromAccount($original, $fields) : null;
        $after = DrupalUserSource::fromAccount($account, $fields);
        if ($this->lifecycle->onUpdate((int) $account->id(), (string) $account->getAccountName(), $before, $after)) {
            $this->postResponse->requestRun();
        }
    }

    /**
     * Implements hook_user_cancel().
     *
     * @param array<string, mixed> $edit
     */
    #[Hook('user_cancel')]
    public function userCancel($edit, UserInterface $account, $method): void
    {
        if ($this->lifecycle->onCancel((int) $account->id(), (string) $account->getAccountName(), (string) $method)) {
            $this->postResponse->requestRun();
        }
    }

    /**
     * Implements hook_user_delete().
     */
    #[Hook('user_delete')]
    public function userDelete(UserInterface $account): void
    {
        if ($this->lifecycle->onDelete((int) $account->id(), (string) $account->getAccountName())) {
            $this->postResponse->requestRun();
        }
    }

    /**
     * The account as it was before this save: EntityInterface::getOriginal()
     * on Drupal 11.2+, the "original" property before (reading the property
     * on 11.2+ is deprecated, so the method is preferred when it exists).
     */
    private static function original(UserInterface $account): ?UserInterface
    {
        if (method_exists($account, 'getOriginal')) {
            $original = $account->getOriginal();
        } else {
            $original = $account->original ?? null;
        }

        return $original instanceof UserInterface ? $original : null;
    }
}
