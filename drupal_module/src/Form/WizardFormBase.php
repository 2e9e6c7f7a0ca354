<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Form;

use Drupal\Core\Form\ConfigFormBase;
use Drupal\Core\Url;
use Drupal\entra_provisioning\Provisioning\ClientFactory;
use Drupal\entra_provisioning\Provisioning\ModuleSettings;
use Drupal\entra_provisioning\Provisioning\Provisioner;
use Drupal\entra_provisioning\Provisioning\ResultFormatter;
use Drupal\entra_provisioning\Provisioning\SecretKeyRepositoryInterface;
use Symfony\Component\DependencyInjection\ContainerInterface;

/**
 * Shared plumbing of the three wizard steps: config targets and services.
 *
 * The parent constructor keeps its (config.factory, config.typed) signature;
 * the module's services are set in create().
 */
abstract class WizardFormBase extends ConfigFormBase
{
    protected ClientFactory $clients;

    protected Provisioner $provisioner;

    protected ResultFormatter $formatter;

    protected SecretKeyRepositoryInterface $keys;

    /**
     * {@inheritdoc}
     */
    public static function create(ContainerInterface $container)
    {
        $form = new static($container->get('config.factory'), $container->get('config.typed'));
        $form->clients = $container->get('entra_provisioning.client_factory');
        $form->provisioner = $container->get('entra_provisioning.provisioner');
        $form->formatter = $container->get('entra_provisioning.result_formatter');
        $form->keys = $container->get('entra_provisioning.key_repository');

        return $form;
    }

    /**
     * {@inheritdoc}
     */
    protected function getEditableConfigNames(): array
    {
        return [ModuleSettings::CONFIG_NAME];
    }

    /**
     * A #config_target for a key of entra_provisioning.settings.
     */
    protected static function target(string $path): string
    {
        return ModuleSettings::CONFIG_NAME . ':' . $path;
    }

    /**
     * Adds a "Back" link to the form actions.
     *
     * @param array<string, mixed> $form
     */
    protected function addBackLink(array &$form, string $route): void
    {
        $form['actions']['back'] = [
            '#type' => 'link',
            '#title' => $this->t('Back'),
            '#url' => Url::fromRoute($route),
            '#attributes' => ['class' => ['button']],
            '#weight' => -10,
        ];
    }
}
