<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Hook;

use Drupal\Core\Hook\Attribute\Hook;
use Drupal\entra_provisioning\Drupal\PostResponseProcessor;
use Drupal\entra_provisioning\Provisioning\Provisioner;
use Drupal\user\UserInterface;

/**
 * User hooks: they only queue work (a user save never waits on Graph).
 *
 * The user_update / user_cancel / user_delete hooks of the lifecycle issue
 * go here too, each queueing its operation on the same queue.
 */
final class UserHooks
{
    private Provisioner $provisioner;

    private PostResponseProcessor $postResponse;

    public function __construct(Provisioner $provisioner, PostResponseProcessor $postResponse)
    {
        $this->provisioner = $provisioner;
        $this->postResponse = $postResponse;
    }

    /**
     * Implements hook_user_insert().
     */
    #[Hook('user_insert')]
    public function userInsert(UserInterface $account): void
    {
        if ($this->provisioner->onUserInsert((int) $account->id(), (string) $account->getAccountName())) {
            $this->postResponse->requestRun();
        }
    }
}
